"""Image-shaped ops a vision pipeline leans on: F.interpolate in every mode (nearest,
nearest-exact, bilinear and bicubic with align_corners both ways, area, 1-d linear, 3-d
trilinear, scale_factor with recompute_scale_factor, antialias), nn.Upsample, F.pad in constant/
reflect/replicate/circular modes on 3-d, 4-d and 5-d input, nn.Unfold/nn.Fold round trips with
stride, padding and dilation, pixel_shuffle/pixel_unshuffle, adaptive pools with return_indices,
MaxPool2d + MaxUnpool2d, LPPool2d, AvgPool2d with ceil_mode/count_include_pad/divisor_override,
Conv3d, and a few SGD steps of a tiny upsampling network.

tolerance: rtol=1e-3 atol=1e-4
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
img = torch.arange(16.0).reshape(1, 1, 4, 4)
print(F.interpolate(img, scale_factor=2, mode="nearest")[0, 0, :3])
print(F.interpolate(img, size=(3, 5), mode="nearest"), F.interpolate(img, size=(3, 5), mode="nearest-exact"))
for ac in (False, True):
    print("bilinear", ac, F.interpolate(img, size=(3, 3), mode="bilinear", align_corners=ac))
    print("bicubic", ac, F.interpolate(img, size=(5, 2), mode="bicubic", align_corners=ac))
print(F.interpolate(img, size=(2, 2), mode="area"), F.interpolate(img, scale_factor=0.5, mode="bilinear", antialias=True))
print(F.interpolate(img, scale_factor=1.7, mode="bilinear", recompute_scale_factor=True).shape,
      F.interpolate(img, scale_factor=(1.5, 0.75), mode="nearest").shape)
seq = torch.tensor([[[0.0, 1.0, 4.0, 9.0]]])
print(F.interpolate(seq, size=7, mode="linear"), F.interpolate(seq, size=7, mode="linear", align_corners=True))
vol = torch.randn(1, 2, 2, 3, 3)
print(F.interpolate(vol, size=(3, 4, 2), mode="trilinear").shape, F.interpolate(vol, scale_factor=2, mode="nearest").shape)
up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
print(up, up(img)[0, 0, 0])

x3 = torch.arange(5.0).reshape(1, 1, 5)
for mode in ("constant", "reflect", "replicate", "circular"):
    print(mode, F.pad(x3, (2, 3), mode=mode))
small = torch.arange(9.0).reshape(1, 1, 3, 3)
for mode in ("reflect", "replicate", "circular"):
    print(mode, F.pad(small, (1, 2, 2, 1), mode=mode))
print(F.pad(small, (1, 1, 0, 0, 1, 0), value=-1.0).shape, F.pad(small, (-1, 0, 0, -1)))
print(F.pad(vol, (1, 1, 1, 1, 1, 1), mode="replicate").shape, F.pad(vol, (1, 0, 0, 1, 1, 0), mode="circular")[0, 0, 0])
print(nn.ReflectionPad2d(1)(small)[0, 0, 0], nn.ZeroPad2d((1, 0, 0, 1))(small).shape, nn.ConstantPad1d(2, 3.5)(x3))

x = torch.randn(2, 3, 6, 7)
for kw in (dict(kernel_size=3), dict(kernel_size=(2, 3), stride=2), dict(kernel_size=3, padding=1, dilation=2)):
    cols = nn.Unfold(**kw)(x)
    back = nn.Fold(output_size=(6, 7), **kw)(cols)
    ones = nn.Fold(output_size=(6, 7), **kw)(nn.Unfold(**kw)(torch.ones_like(x)))
    print(kw, tuple(cols.shape), tuple(back.shape), torch.allclose(back, x * ones, atol=1e-5), ones[0, 0, 0])
print(nn.Unfold(kernel_size=2, stride=2))

ps = torch.arange(2 * 8 * 2 * 2.0).reshape(2, 8, 2, 2)
sh = F.pixel_shuffle(ps, 2)
print(sh.shape, sh[0, 0], torch.equal(F.pixel_unshuffle(sh, 2), ps), nn.PixelUnshuffle(2)(torch.randn(1, 1, 4, 6)).shape)

feat = torch.randn(1, 2, 7, 5)
out, idx = F.adaptive_max_pool2d(feat, (3, 2), return_indices=True)
print(out.shape, idx, nn.AdaptiveAvgPool2d((None, 2))(feat).shape, F.adaptive_avg_pool2d(feat, 1).flatten())
print(nn.AdaptiveMaxPool1d(3, return_indices=True)(feat[:, :, 0]), F.adaptive_avg_pool1d(feat[:, :, 0], 2))
pool = nn.MaxPool2d(2, stride=2, return_indices=True)
unpool = nn.MaxUnpool2d(2, stride=2)
pooled, where = pool(torch.randn(1, 1, 4, 6))
print(pooled, where, unpool(pooled, where), unpool(pooled, where, output_size=(5, 7)).shape)
print(nn.LPPool2d(2, 2)(feat.abs())[0, 0], F.lp_pool1d(feat[:, :, 0].abs(), 3, 2))
print(F.avg_pool2d(img, 3, stride=2, ceil_mode=True), F.avg_pool2d(img, 3, stride=2, padding=1, count_include_pad=False))
print(F.avg_pool2d(img, 2, divisor_override=1), F.max_pool2d(img, 3, stride=2, padding=1, dilation=1, ceil_mode=True))

conv3 = nn.Conv3d(2, 4, kernel_size=(1, 3, 3), padding=(0, 1, 1), stride=(1, 2, 1))
print(conv3, conv3(vol).shape, nn.MaxPool3d(2, ceil_mode=True)(vol).shape, nn.AvgPool3d((1, 3, 3))(vol).shape)


class TinyUp(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1, padding_mode="reflect")
        self.shuffle = nn.PixelShuffle(2)
        self.refine = nn.Conv2d(1, 1, 3, padding=1, padding_mode="replicate")

    def forward(self, z):
        return self.refine(self.shuffle(self.conv(z))) + F.interpolate(z, scale_factor=2, mode="bilinear")


torch.manual_seed(1)
hi = F.avg_pool2d(torch.randn(8, 1, 12, 12), 3, stride=1, padding=1)
lo = F.interpolate(hi, scale_factor=0.5, mode="area")
net = TinyUp()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for step in range(6):
    loss = F.mse_loss(net(lo), hi)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f} grad {net.conv.weight.grad.norm().item():.6f}")
