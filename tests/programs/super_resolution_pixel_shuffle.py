"""Single-image super-resolution in the style of the ESPCN example: low-resolution inputs from
F.avg_pool2d, a bicubic F.interpolate baseline, a sub-pixel network with nn.PixelShuffle, PSNR,
and a ViT-style patch embedding cross-checked between F.unfold and a strided Conv2d, plus F.fold.

tolerance: rtol=2e-3 atol=1e-5
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
upscale = 2


def synthetic_images(n, size=16):
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    freq = torch.rand(n, 1, 1) * 3 + 1
    phase = torch.rand(n, 1, 1) * math.pi
    img = 0.5 + 0.25 * torch.sin(2 * math.pi * freq * xx + phase) + 0.25 * torch.cos(2 * math.pi * freq * yy)
    return img.unsqueeze(1).clamp(0, 1)


hr = synthetic_images(12)
lr = F.avg_pool2d(hr, upscale)
print(hr.shape, lr.shape, f"{hr.mean().item():.4f}")


def psnr(a, b):
    mse = F.mse_loss(a, b)
    return 10 * torch.log10(1 / mse)


for mode in ["nearest", "bilinear", "bicubic"]:
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    up = F.interpolate(lr, scale_factor=upscale, mode=mode, **kwargs)
    print(f"{mode:8s} {tuple(up.shape)} psnr {psnr(up.clamp(0, 1), hr).item():.4f}")


class ESPCN(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 16, 3, padding=1)
        self.conv3 = nn.Conv2d(16, upscale_factor ** 2, 3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

    def forward(self, x):
        x = torch.tanh(self.conv1(x))
        x = torch.tanh(self.conv2(x))
        return self.pixel_shuffle(self.conv3(x))


ps = nn.PixelShuffle(2)
unps = nn.PixelUnshuffle(2)
t = torch.arange(16.0).view(1, 4, 2, 2)
print(ps(t))
print(torch.equal(unps(ps(t)), t), unps(torch.zeros(1, 1, 4, 6)).shape)

model = ESPCN(upscale)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
base = F.interpolate(lr, scale_factor=upscale, mode="bicubic", align_corners=False)
for step in range(60):
    sr = model(lr) + base  # learn the residual over bicubic
    loss = F.mse_loss(sr, hr)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 12 == 0:
        print(f"step {step:2d} loss {loss.item():.6f} psnr {psnr(sr.detach().clamp(0, 1), hr).item():.4f}")
with torch.no_grad():
    sr = (model(lr) + base).clamp(0, 1)
    print(f"final psnr {psnr(sr, hr).item():.4f} vs bicubic {psnr(base.clamp(0, 1), hr).item():.4f}")
    print(sr[0, 0, :2, :6])

# ViT patch embedding two ways
patch, dim = 4, 8
proj = nn.Conv2d(1, dim, kernel_size=patch, stride=patch)
tokens_conv = proj(hr).flatten(2).transpose(1, 2)                       # (N, 16, dim)
patches = F.unfold(hr, kernel_size=patch, stride=patch).transpose(1, 2)  # (N, 16, patch*patch)
tokens_unfold = patches @ proj.weight.view(dim, -1).T + proj.bias
print(tokens_conv.shape, patches.shape, torch.allclose(tokens_conv, tokens_unfold, atol=1e-5))
print(tokens_conv.grad_fn.name(), tokens_unfold.grad_fn.name())
# fold(unfold(x)) with overlapping windows counts each pixel once per window covering it
cols = F.unfold(hr[:1], kernel_size=3, padding=1)
folded = F.fold(cols, output_size=(16, 16), kernel_size=3, padding=1)
counts = F.fold(F.unfold(torch.ones(1, 1, 16, 16), 3, padding=1), (16, 16), 3, padding=1)
print(cols.shape, torch.allclose(folded / counts, hr[:1], atol=1e-6), counts[0, 0, :2, :3])
