"""A small image-classification pipeline without torchvision: uint8 synthetic images resized with
F.interpolate (nearest, bilinear with antialias) before normalisation by mean/std buffers,
tensor-op augmentation (random resized crop by randint, flips, torch.roll), a channels_last
ResNet-style model (Module.to(memory_format=...), is_contiguous checks), mixup with a Beta draw,
BatchNorm with momentum=None, top-k accuracy, a bincount confusion matrix, test-time augmentation,
and conv-bn fusion with torch.nn.utils.fusion.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Beta
from torch.nn.utils.fusion import fuse_conv_bn_eval

torch.manual_seed(0)
N, C, K = 24, 3, 4
raw = torch.randint(0, 256, (N, C, 20, 20), dtype=torch.uint8)
labels = torch.arange(N) % K
raw[labels == 1, 0] //= 2  # give each class something to find
raw[labels == 2, 1] = raw[labels == 2, 1] // 3 + 170
small = F.interpolate(raw, size=(12, 12), mode="bilinear", antialias=True)
near = F.interpolate(raw, scale_factor=0.5, mode="nearest")
print(small.dtype, small.shape, small[0, 0, 0, :6].tolist(), near[0, 0, 0, :6].tolist())
try:
    F.interpolate(raw.long(), size=(12, 12), mode="bilinear")
except NotImplementedError as e:
    print("NotImplementedError", e)


class Normalize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x):
        return (x.float() / 255 - self.mean) / self.std


def augment(x):
    n, _, h, w = x.shape
    out = torch.empty_like(x)
    for i in range(n):
        ch, cw = torch.randint(8, h + 1, (2,)).tolist()
        top = torch.randint(0, h - ch + 1, (1,)).item()
        left = torch.randint(0, w - cw + 1, (1,)).item()
        crop = x[i:i + 1, :, top:top + ch, left:left + cw]
        out[i] = F.interpolate(crop, size=(h, w), mode="bilinear", align_corners=False)[0]
    flip = torch.rand(n) < 0.5
    out[flip] = out[flip].flip(-1)
    return torch.roll(out, shifts=int(torch.randint(-1, 2, (1,))), dims=-2)


def block(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout, momentum=None), nn.ReLU(inplace=True))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])
        self.stem = block(3, 8, 1)
        self.body = block(8, 16, 2)
        self.short = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16, momentum=None))
        self.head = nn.Linear(16, K)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.stem(self.norm(x))
        x = F.relu(self.body(x) + self.short(x))
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


torch.manual_seed(1)
model = Net().to(memory_format=torch.channels_last)
print(model.stem[0].weight.is_contiguous(memory_format=torch.channels_last), model.head.weight.is_contiguous())
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
images = small.float().contiguous(memory_format=torch.channels_last)
beta = Beta(torch.tensor(0.4), torch.tensor(0.4))
for epoch in range(4):
    model.train()
    perm = torch.randperm(N)
    x = augment(images[perm])
    y = labels[perm]
    lam = beta.sample().item()
    mix = torch.randperm(N)
    xm = lam * x + (1 - lam) * x[mix]
    out = model(xm)
    loss = lam * F.cross_entropy(out, y) + (1 - lam) * F.cross_entropy(out, y[mix])
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(epoch, f"{lam:.4f}", f"{loss.item():.4f}", model.stem[1].num_batches_tracked.item())
feat = model.stem(model.norm(images))
print(feat.is_contiguous(memory_format=torch.channels_last), feat.stride())
print(model.stem[1].running_mean[:3], model.stem[1].momentum)

model.eval()
with torch.no_grad():
    logits = model(images)
    tta = (logits.softmax(1) + model(images.flip(-1)).softmax(1)) / 2
top2 = logits.topk(2, dim=1).indices
print("top1", (logits.argmax(1) == labels).float().mean().item(), "top2", (top2 == labels[:, None]).any(1).float().mean().item())
print("tta", (tta.argmax(1) == labels).sum().item())
cm = torch.bincount(labels * K + logits.argmax(1), minlength=K * K).view(K, K)
print(cm)
print(F.one_hot(logits.argmax(1), K).sum(0))

fused = fuse_conv_bn_eval(model.stem[0], model.stem[1])
with torch.no_grad():
    a = model.stem[1](model.stem[0](model.norm(images)))
    b = fused(model.norm(images))
print(type(fused).__name__, (a - b).abs().max().item() < 1e-4, fused.bias.shape)
