"""Quantization-aware training with fake quantization and the straight-through estimator
(x + (q - x).detach()): symmetric per-channel int8 weight scales from amax over the input dims,
asymmetric per-tensor uint8 activations with a running min/max observer buffer, torch.round/clamp,
a QAT Linear/Conv2d swapped into a small CNN, gradients checked against the identity, and the final
quantization error.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def fake_quant_ste(x, scale, zero_point, qmin, qmax):
    q = torch.clamp(torch.round(x / scale) + zero_point, qmin, qmax)
    deq = (q - zero_point) * scale
    return x + (deq - x).detach()


def weight_scale_per_channel(w, bits=8):
    qmax = 2 ** (bits - 1) - 1
    dims = tuple(range(1, w.dim()))
    amax = w.detach().abs().amax(dim=dims, keepdim=True).clamp(min=1e-8)
    return amax / qmax


class ActObserver(nn.Module):
    def __init__(self, momentum=0.1, bits=8):
        super().__init__()
        self.momentum = momentum
        self.qmax = 2 ** bits - 1
        self.register_buffer("min_val", torch.tensor(0.0))
        self.register_buffer("max_val", torch.tensor(0.0))
        self.register_buffer("initialized", torch.tensor(False))

    def forward(self, x):
        if self.training:
            lo, hi = x.detach().min(), x.detach().max()
            if not self.initialized:
                self.min_val.copy_(lo)
                self.max_val.copy_(hi)
                self.initialized.fill_(True)
            else:
                self.min_val.lerp_(lo, self.momentum)
                self.max_val.lerp_(hi, self.momentum)
        lo = torch.clamp(self.min_val, max=0.0)
        hi = torch.clamp(self.max_val, min=0.0)
        scale = ((hi - lo) / self.qmax).clamp(min=1e-8)
        zero_point = torch.round(-lo / scale)
        return fake_quant_ste(x, scale, zero_point, 0, self.qmax)


class QATConv2d(nn.Conv2d):
    def forward(self, x):
        s = weight_scale_per_channel(self.weight)
        w = fake_quant_ste(self.weight, s, 0, -127, 127)
        return F.conv2d(x, w, self.bias, self.stride, self.padding)


class QATLinear(nn.Linear):
    def forward(self, x):
        s = weight_scale_per_channel(self.weight)
        return F.linear(x, fake_quant_ste(self.weight, s, 0, -127, 127), self.bias)


# STE: forward is quantized, backward is identity
x = torch.linspace(-1, 1, 7, requires_grad=True)
y = fake_quant_ste(x, torch.tensor(0.25), 0, -4, 3)
print(y)
(y * torch.arange(7.0)).sum().backward()
print("ste grad", x.grad)
print("round grad", torch.autograd.grad(torch.round(x * 3).sum(), x)[0])

w = torch.randn(4, 3, 3, 3)
s = weight_scale_per_channel(w)
print("scale shape", s.shape)
print("scales", s.flatten())
wq = fake_quant_ste(w, s, 0, -127, 127)
print("distinct levels per channel <= 255", all(torch.unique(wq[c]).numel() <= 255 for c in range(4)))
print(f"weight quant error {(w - wq).abs().max().item():.6f} <= half step {(s.max() / 2).item():.6f}")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = QATConv2d(1, 4, 3, padding=1)
        self.act1 = ActObserver()
        self.conv2 = QATConv2d(4, 8, 3, padding=1)
        self.act2 = ActObserver()
        self.fc = QATLinear(8, 3)

    def forward(self, x):
        x = self.act1(F.relu(self.conv1(x)))
        x = F.max_pool2d(x, 2)
        x = self.act2(F.relu(self.conv2(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


net = Net()
print([k for k in net.state_dict() if "act" in k])
images = torch.randn(24, 1, 8, 8)
labels = (images.mean(dim=(1, 2, 3)) > 0).long() + (images[:, 0, 0, 0] > 1).long()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
for step in range(20):
    out = net(images)
    loss = F.cross_entropy(out, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 0:
        print(f"step {step:2d} loss {loss.item():.4f} act1 range [{net.act1.min_val.item():.4f}, "
              f"{net.act1.max_val.item():.4f}] |g| {net.conv1.weight.grad.norm().item():.5f}")

net.eval()
with torch.no_grad():
    q_out = net(images)
    w1 = net.conv1.weight
    h = F.relu(F.conv2d(images, w1, net.conv1.bias, padding=1))
    h = F.max_pool2d(h, 2)
    h = F.relu(F.conv2d(h, net.conv2.weight, net.conv2.bias, padding=1))
    f_out = F.linear(F.adaptive_avg_pool2d(h, 1).flatten(1), net.fc.weight, net.fc.bias)
print(f"eval acc {(q_out.argmax(1) == labels).float().mean().item():.4f}")
print(f"quant vs float max diff {(q_out - f_out).abs().max().item():.5f}")
print("int8 weights", torch.round(net.fc.weight / weight_scale_per_channel(net.fc.weight)).to(torch.int8)[0])
