"""A tiny PixelCNN on 6x6 binary images: type-A/B masked convolutions (a Conv2d subclass with a mask
buffer applied in forward), per-pixel Bernoulli likelihood with binary_cross_entropy_with_logits,
a check of the autoregressive property via input gradients, and pixel-by-pixel sampling with
torch.bernoulli.

tolerance: rtol=3e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
H = W = 6


class MaskedConv2d(nn.Conv2d):
    def __init__(self, mask_type, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assert mask_type in ("A", "B")
        self.register_buffer("mask", self.weight.data.clone())
        _, _, kh, kw = self.weight.size()
        self.mask.fill_(1)
        self.mask[:, :, kh // 2, kw // 2 + (mask_type == "B"):] = 0
        self.mask[:, :, kh // 2 + 1:] = 0

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding)


class PixelCNN(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        self.net = nn.Sequential(
            MaskedConv2d("A", 1, channels, 5, padding=2, bias=False), nn.BatchNorm2d(channels), nn.ReLU(True),
            MaskedConv2d("B", channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(True),
            MaskedConv2d("B", channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(True),
            nn.Conv2d(channels, 1, 1),
        )

    def forward(self, x):
        return self.net(x)


def make_data(n):
    """Diagonal stripes with a random offset and direction: strong pixel dependencies."""
    r = torch.arange(H).view(H, 1)
    c = torch.arange(W).view(1, W)
    off = torch.randint(0, 3, (n, 1, 1))
    flip = torch.rand(n, 1, 1) < 0.5
    img = torch.where(flip, ((r + c + off) % 3 == 0), ((r - c + off) % 3 == 0))
    return img.float().unsqueeze(1)


m = MaskedConv2d("A", 1, 1, 3, padding=1)
print(m.mask[0, 0])
print(MaskedConv2d("B", 1, 1, 3, padding=1).mask[0, 0])
print([n for n, _ in m.named_buffers()], m)

data = make_data(64)
print(data.shape, f"{data.mean().item():.4f}")
model = PixelCNN()

# autoregressive check: output at (2, 3) depends only on earlier pixels in raster order
x = torch.rand(1, 1, H, W, requires_grad=True)
model.eval()
model(x)[0, 0, 2, 3].backward()
dep = (x.grad[0, 0] != 0).int()
print(dep)
model.train()

opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(40):
    logits = model(data)
    loss = F.binary_cross_entropy_with_logits(logits, data, reduction="sum") / data.size(0)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 8 == 0:
        print(f"epoch {epoch:2d} nll/image {loss.item():.4f} bits/pixel {loss.item() / (H * W) / 0.6931:.4f}")

model.eval()
with torch.no_grad():
    samples = torch.zeros(4, 1, H, W)
    for i in range(H):
        for j in range(W):
            probs = torch.sigmoid(model(samples)[:, :, i, j])
            samples[:, :, i, j] = torch.bernoulli(probs)
    print(samples[:2, 0])
    print(f"sample nll {F.binary_cross_entropy_with_logits(model(samples), samples).item():.4f}")
    test = make_data(16)
    print(f"test nll/image {F.binary_cross_entropy_with_logits(model(test), test, reduction='sum').item() / 16:.4f}")
