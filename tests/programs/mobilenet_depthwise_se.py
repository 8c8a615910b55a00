"""A tiny MobileNetV3-style network: inverted residual blocks with a 1x1 expansion, a depthwise
3x3 convolution (groups=channels), squeeze-and-excitation (AdaptiveAvgPool2d, 1x1 convs, Hardsigmoid
gating), Hardswish, BatchNorm2d, stochastic depth via a DropPath module written with bernoulli_,
Kaiming init through model.apply, a few SGD steps with nesterov momentum and weight decay, and
eval-mode outputs where DropPath and BatchNorm behave deterministically.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class DropPath(nn.Module):
    def __init__(self, p=0.0):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.p == 0.0 or not self.training:
            return x
        keep = 1 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduction=4):
        super().__init__()
        hidden = max(8, channels // reduction)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        s = self.pool(x)
        s = F.relu(self.fc1(s))
        return x * F.hardsigmoid(self.fc2(s))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, expand, stride, use_se, drop_path):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        layers = [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.Hardswish()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
                   nn.BatchNorm2d(hidden), nn.Hardswish()]
        if use_se:
            layers.append(SqueezeExcite(hidden))
        layers += [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)
        self.drop_path = DropPath(drop_path)

    def forward(self, x):
        out = self.block(x)
        if self.use_res:
            return x + self.drop_path(out)
        return out


class TinyMobileNet(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.Hardswish())
        self.blocks = nn.Sequential(
            InvertedResidual(8, 8, 2, 1, True, 0.1),
            InvertedResidual(8, 16, 3, 2, False, 0.0),
            InvertedResidual(16, 16, 3, 1, True, 0.2),
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 32),
                                  nn.Hardswish(), nn.Dropout(0.2), nn.Linear(32, n_classes))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


def init_weights(m):
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out")
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, 0, 0.01)
        nn.init.zeros_(m.bias)


model = TinyMobileNet()
model.apply(init_weights)
dw = model.blocks[0].block[3]
print(dw)
print("depthwise weight", tuple(dw.weight.shape), "groups", dw.groups)
print("params", sum(p.numel() for p in model.parameters()))

x = torch.randn(8, 3, 16, 16)
y = torch.randint(0, 5, (8,))
print("stem out", tuple(model.stem(x).shape), "blocks out", tuple(model.blocks(model.stem(x)).shape))

dp = DropPath(0.5)
print("drop path mask", dp(torch.ones(6, 1, 1, 1)).flatten().tolist())
dp.eval()
print("drop path eval identity", torch.equal(dp(x), x))

decay = [p for n, p in model.named_parameters() if p.ndim > 1]
no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
opt = torch.optim.SGD([{"params": decay, "weight_decay": 4e-5}, {"params": no_decay, "weight_decay": 0}],
                      lr=0.05, momentum=0.9, nesterov=True)
model.train()
for step in range(6):
    out = model(x)
    loss = F.cross_entropy(out, y, label_smoothing=0.1)
    opt.zero_grad()
    loss.backward()
    if step % 2 == 0:
        print(f"step {step} loss {loss.item():.5f} dw grad {dw.weight.grad.norm().item():.4e} "
              f"se grad {model.blocks[0].block[6].fc2.weight.grad.norm().item():.4e}")
    opt.step()

bn = model.stem[1]
print("bn running mean", bn.running_mean[:4])
print("bn batches tracked", bn.num_batches_tracked.item())
model.eval()
with torch.no_grad():
    a = model(x)
    b = model(x)
print("eval deterministic", torch.equal(a, b))
print("eval logits", a[:2])
print("eval preds", a.argmax(1).tolist())
