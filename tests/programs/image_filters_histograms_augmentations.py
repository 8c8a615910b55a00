"""Classical image processing written in plain PyTorch on synthetic images: Sobel, Laplacian and
Gaussian filters by grouped F.conv2d (padding='same' with an odd and an even kernel, whose warning
torch gives once; reflect/replicate pre-padding), morphology by max_pool2d, a median filter by
unfold + median, histogram equalisation with histc/cumsum/bincount/histogram, RGB to gray/YUV/HSV by
einsum and matmul, float to uint8 saturation and rounding, uint8 arithmetic, and hand-written
augmentations (flip, rot90, random crop, colour jitter, cutout, mixup/cutmix with Beta and randperm,
random erasing, per-channel normalisation).

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn.functional as F
from torch.distributions import Beta

torch.manual_seed(0)
img = torch.rand(2, 3, 16, 16)
# Sobel / Laplacian / Gaussian with groups=C and padding='same'
sobel_x = torch.tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]])
k = sobel_x.view(1, 1, 3, 3).repeat(3, 1, 1, 1)
gx = F.conv2d(img, k, padding="same", groups=3)
gy = F.conv2d(img, k.transpose(2, 3), padding=1, groups=3)
mag = torch.sqrt(gx ** 2 + gy ** 2 + 1e-8)
print(gx.shape, f"{mag.mean():.4f}", f"{mag.max():.4f}")
lap = torch.tensor([[0., 1., 0.], [1., -4., 1.], [0., 1., 0.]]).expand(3, 1, 3, 3)
print(f"{F.conv2d(F.pad(img, (1, 1, 1, 1), mode='reflect'), lap, groups=3).abs().mean():.4f}")
def gauss(ks, sigma):
    ax = torch.arange(ks, dtype=torch.float32) - (ks - 1) / 2
    g = torch.exp(-ax ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return torch.outer(g, g)
gk = gauss(5, 1.2)
print(f"{gk.sum():.4f}", gk[2])
blur = F.conv2d(F.pad(img, (2, 2, 2, 2), mode="replicate"), gk.expand(3, 1, 5, 5), groups=3)
print(f"{blur.std():.4f}")
blur4 = F.conv2d(img, gk.expand(3, 1, 5, 5).contiguous(), padding="same", groups=3)
print(blur4.shape, f"{(blur4 - blur).abs().max():.4f}")
# padding same with even kernel
print(F.conv2d(img, torch.ones(3, 1, 4, 4) / 16, padding="same", groups=3).shape)
print(F.conv2d(img, torch.ones(3, 1, 3, 3), padding="same", groups=3, dilation=2).shape)
try:
    F.conv2d(img, torch.ones(3, 1, 3, 3), padding="same", groups=3, stride=2)
except Exception as e:
    print(type(e).__name__, e)
try:
    F.conv2d(img, torch.ones(3, 1, 3, 3), padding="valid2", groups=3)
except Exception as e:
    print(type(e).__name__, e)
# morphology
torch.manual_seed(1)
mask = (torch.rand(1, 1, 10, 10) > 0.7).float()
dil = F.max_pool2d(mask, 3, stride=1, padding=1)
ero = -F.max_pool2d(-mask, 3, stride=1, padding=1)
opening = F.max_pool2d(-F.max_pool2d(-mask, 3, 1, 1), 3, 1, 1)
print(int(mask.sum()), int(dil.sum()), int(ero.sum()), int(opening.sum()))
print(dil[0, 0, :3].int())
# median filter via unfold
noisy = img[:1, :1].clone()
noisy[0, 0, 3, 3] = 10.0
patches = F.unfold(F.pad(noisy, (1, 1, 1, 1), mode="reflect"), kernel_size=3)
med = patches.median(dim=1).values.view(1, 1, 16, 16)
print(patches.shape, f"{med.max():.4f}", f"{med[0, 0, 3, 3]:.4f}")
med2 = noisy.unfold(2, 3, 1).unfold(3, 3, 1).reshape(1, 1, 14, 14, 9).median(-1)
print(med2.values.shape, med2.indices.dtype, med2.indices[0, 0, 0, :5])
# histogram equalisation
torch.manual_seed(2)
gray = (torch.rand(32, 32) ** 2 * 255).to(torch.uint8)
hist = torch.histc(gray.float(), bins=256, min=0, max=255)
print(hist.shape, hist.dtype, hist[:6], int(hist.sum()))
cdf = hist.cumsum(0)
cdf_n = (cdf - cdf.min()) * 255 / (cdf.max() - cdf.min())
eq = cdf_n[gray.long()].to(torch.uint8)
print(eq.dtype, eq[0, :8], eq.float().mean())
print(torch.histc(torch.tensor([1., 2, 1, 4, 5]), bins=4, min=0, max=3))
print(torch.histc(torch.tensor([1., 2, 1]), bins=4))
print(torch.histc(torch.tensor([1., 1, 1]), bins=3))
bc = torch.bincount(gray.flatten(), minlength=256)
print(bc.dtype, bc[:6], (bc.float() - hist).abs().max())
h2, edges = torch.histogram(gray.float(), bins=4, range=(0., 255.))
print(h2, edges)
h3 = torch.histogram(gray.float().flatten(), bins=torch.tensor([0., 10., 100., 255.]), density=True)
print(h3)
try:
    torch.histc(gray, bins=4)
except Exception as e:
    print(type(e).__name__, e)

torch.manual_seed(0)
img = torch.rand(4, 3, 8, 8)
# RGB -> gray / YUV / HSV
w = torch.tensor([0.299, 0.587, 0.114])
gray = torch.einsum("nchw,c->nhw", img, w).unsqueeze(1)
gray2 = (img * w.view(1, 3, 1, 1)).sum(1, keepdim=True)
print(gray.shape, f"{(gray - gray2).abs().max():.6f}")
M = torch.tensor([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]])
yuv = torch.einsum("ij,njhw->nihw", M, img)
back = torch.einsum("ij,njhw->nihw", torch.linalg.inv(M), yuv)
print(yuv.shape, f"{(back - img).abs().max():.5f}")
yuv2 = (img.permute(0, 2, 3, 1) @ M.T).permute(0, 3, 1, 2)
print(f"{(yuv - yuv2).abs().max():.6f}", yuv2.is_contiguous())
def rgb2hsv(rgb):
    r, g, b = rgb.unbind(1)
    maxc, argmax = rgb.max(1)
    minc = rgb.min(1).values
    v = maxc
    delta = maxc - minc
    s = torch.where(maxc > 0, delta / maxc.clamp(min=1e-8), torch.zeros_like(maxc))
    rc = (maxc - r) / delta.clamp(min=1e-8)
    gc = (maxc - g) / delta.clamp(min=1e-8)
    bc = (maxc - b) / delta.clamp(min=1e-8)
    h = torch.where(argmax == 0, bc - gc, torch.where(argmax == 1, 2.0 + rc - bc, 4.0 + gc - rc))
    h = (h / 6.0) % 1.0
    h = torch.where(delta > 0, h, torch.zeros_like(h))
    return torch.stack([h, s, v], 1)
hsv = rgb2hsv(img)
print(hsv.shape, f"{hsv[:, 0].mean():.4f}", f"{hsv[:, 1].mean():.4f}", f"{hsv[:, 2].mean():.4f}")
# uint8 conversions
x = torch.tensor([-1.5, -0.5, 0.4, 0.5, 1.5, 2.5, 254.6, 255.0, 255.5, 256.0, 300.0, 1000.7])
print(x.byte(), x.to(torch.uint8), x.clamp(0, 255).round().to(torch.uint8))
print((x * 1).to(torch.int8), x.char(), x.short())
u = (img * 255).round().clamp(0, 255).to(torch.uint8)
print(u.dtype, u[0, 0, 0], u.float().div(255).sub(img).abs().max() < 0.5 / 255 + 1e-6)
print(u[0, 0, 0] + u[0, 0, 0], u[0, 0, 0] * 2, (u[0, 0, 0] // 2), u[0, 0, 0] / 2)
print(u.sum(), u.sum().dtype, u.float().mean(), u.max(), u.to(torch.float16).dtype)
print(torch.tensor([250], dtype=torch.uint8) + 10, torch.tensor([5], dtype=torch.uint8) - 10)
print(u[0, 0, 0].to(torch.int16) - 200, (u[0, :, 0, 0].to(torch.float64) / 255))
print(torch.tensor([0.5, 1.5, 2.5, -0.5]).round(), torch.tensor([1.23456]).round(decimals=2))
print(torch.tensor(3.7).byte(), torch.tensor(-3.7).byte(), torch.tensor([128.9, -129.7]).to(torch.int8))
# augmentations
torch.manual_seed(3)
batch = torch.rand(6, 3, 10, 10)
flip = torch.rand(6) < 0.5
out = torch.where(flip.view(-1, 1, 1, 1), batch.flip(-1), batch)
print(flip, f"{out.sum():.4f}")
print(torch.rot90(batch, 1, (2, 3)).shape, torch.rot90(batch[0], -1, [1, 2])[0, 0, :3], torch.rot90(batch, 2, (2, 3)).shape, torch.rot90(batch, 3, (-2, -1))[0,0,0,:3])
i = torch.randint(0, 10 - 6 + 1, (1,)).item()
j = torch.randint(0, 10 - 6 + 1, (1,)).item()
crop = batch[:, :, i:i + 6, j:j + 6]
print(i, j, crop.shape)
# colour jitter
b = 1 + (torch.rand(6, 1, 1, 1) * 0.8 - 0.4)
c = 1 + (torch.rand(6, 1, 1, 1) * 0.8 - 0.4)
mean = batch.mean(dim=(1, 2, 3), keepdim=True)
jit = ((batch * b - mean) * c + mean).clamp(0, 1)
print(f"{jit.mean():.4f}", f"{jit.std():.4f}")
# cutout
cy, cx = torch.randint(10, (2,))
y1, y2 = (cy - 2).clamp(0, 10), (cy + 2).clamp(0, 10)
x1, x2 = (cx - 2).clamp(0, 10), (cx + 2).clamp(0, 10)
cut = batch.clone()
cut[:, :, y1:y2, x1:x2] = 0
print(cy, cx, int((cut == 0).sum()))
# mixup / cutmix
lam = Beta(torch.tensor(0.4), torch.tensor(0.4)).sample()
perm = torch.randperm(6)
mixed = lam * batch + (1 - lam) * batch[perm]
print(f"{lam:.4f}", perm, f"{mixed.mean():.4f}")
lam2 = Beta(1.0, 1.0).sample().item()
cut_rat = (1 - lam2) ** 0.5
cw, ch = int(10 * cut_rat), int(10 * cut_rat)
bx, by = torch.randint(10, (1,)).item(), torch.randint(10, (1,)).item()
bbx1, bby1 = max(bx - cw // 2, 0), max(by - ch // 2, 0)
bbx2, bby2 = min(bx + cw // 2, 10), min(by + ch // 2, 10)
cm = batch.clone()
cm[:, :, bby1:bby2, bbx1:bbx2] = batch[perm][:, :, bby1:bby2, bbx1:bbx2]
lam_adj = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / 100)
print(f"{lam2:.4f}", bbx1, bby1, bbx2, bby2, f"{lam_adj:.4f}", f"{cm.sum():.4f}")
# random erasing with normal values
er = batch.clone()
er[0, :, 2:5, 3:7] = torch.empty(3, 3, 4).normal_()
print(f"{er[0].sum():.4f}")
er[1, :, 2:5, 3:7].uniform_(0, 1)
print(f"{er[1].sum():.4f}")
# normalise
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
norm = (batch - mean) / std
print(norm.shape, f"{norm.mean():.4f}", norm.mean(dim=(0, 2, 3)))
print(batch.sub_(mean).div_(std).mean(dim=[0, 2, 3]))
