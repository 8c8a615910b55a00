"""A temporal convolutional network (TCN) for sequence regression: causal dilated Conv1d blocks with
left padding and a Chomp1d, weight normalisation via nn.utils.parametrizations.weight_norm, residual
1x1 downsampling, receptive-field check by gradient of one output w.r.t. the input, and training on
the adding problem.

tolerance: rtol=3e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import weight_norm

torch.manual_seed(0)


class Chomp1d(nn.Module):
    def __init__(self, chomp_size):
        super().__init__()
        self.chomp_size = chomp_size

    def forward(self, x):
        return x[:, :, : -self.chomp_size].contiguous()


class TemporalBlock(nn.Module):
    def __init__(self, n_inputs, n_outputs, kernel_size, dilation):
        super().__init__()
        padding = (kernel_size - 1) * dilation
        self.conv1 = weight_norm(nn.Conv1d(n_inputs, n_outputs, kernel_size, padding=padding, dilation=dilation))
        self.chomp1 = Chomp1d(padding)
        self.conv2 = weight_norm(nn.Conv1d(n_outputs, n_outputs, kernel_size, padding=padding, dilation=dilation))
        self.chomp2 = Chomp1d(padding)
        self.net = nn.Sequential(self.conv1, self.chomp1, nn.ReLU(), self.conv2, self.chomp2, nn.ReLU())
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None

    def forward(self, x):
        out = self.net(x)
        res = x if self.downsample is None else self.downsample(x)
        return F.relu(out + res)


class TCN(nn.Module):
    def __init__(self, input_size, output_size, channels, kernel_size=2):
        super().__init__()
        layers = []
        for i, ch in enumerate(channels):
            layers.append(TemporalBlock(input_size if i == 0 else channels[i - 1], ch, kernel_size, dilation=2 ** i))
        self.tcn = nn.Sequential(*layers)
        self.linear = nn.Linear(channels[-1], output_size)

    def forward(self, x):
        return self.linear(self.tcn(x)[:, :, -1])


def adding_problem(n, seq_len):
    values = torch.rand(n, 1, seq_len)
    markers = torch.zeros(n, 1, seq_len)
    for i in range(n):
        a, b = torch.randperm(seq_len)[:2]
        markers[i, 0, a] = 1.0
        markers[i, 0, b] = 1.0
    x = torch.cat([values, markers], dim=1)
    y = (values * markers).sum(dim=2)
    return x, y


model = TCN(2, 1, [8, 8, 8], kernel_size=2)
block = model.tcn[0]
print(block.conv1)
print(sorted(k for k in block.state_dict() if k.startswith("conv1")))
print(block.conv1.parametrizations.weight.original0.shape, block.conv1.parametrizations.weight.original1.shape)

# the receptive field: which inputs influence the last output?
x = torch.randn(1, 2, 20, requires_grad=True)
model(x).sum().backward()
influence = x.grad.abs().sum(dim=1)[0] > 0
print(influence.int())
print("receptive field", int(influence.sum().item()))

# causality: changing the future does not change earlier outputs
with torch.no_grad():
    a = model.tcn(x)
    x2 = x.clone()
    x2[:, :, 15:] += 1.0
    b = model.tcn(x2)
    print(torch.allclose(a[:, :, :15], b[:, :, :15]), torch.allclose(a[:, :, 15:], b[:, :, 15:]))

x_train, y_train = adding_problem(128, 12)
x_test, y_test = adding_problem(64, 12)
print(x_train.shape, y_train.shape, f"{y_train.mean().item():.4f}")
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(15):
    perm = torch.randperm(128)
    for i in range(0, 128, 32):
        idx = perm[i:i + 32]
        loss = F.mse_loss(model(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    if epoch % 3 == 0:
        with torch.no_grad():
            print(f"epoch {epoch:2d} train {loss.item():.5f} test {F.mse_loss(model(x_test), y_test).item():.5f}")
g = block.conv1.parametrizations.weight
print(g.original0.grad.shape, torch.allclose(block.conv1.weight.norm(dim=(1, 2)), g.original0.flatten(), atol=1e-5))
print(model(x_test[:4]).detach().squeeze(1), y_test[:4].squeeze(1))
