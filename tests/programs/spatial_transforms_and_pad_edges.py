"""Spatial transforms and padding edge cases of an augmentation pipeline: F.affine_grid rotations
and crops (2-D and 3-D, both align_corners) fed to F.grid_sample in every mode and padding_mode,
gradients to the image and to theta, empty batches, bfloat16, grid_sample and affine_grid's
argument errors in torch's order; F.pad in reflect/replicate/circular with negative (cropping) pads,
zero pads that must not alias the input, channels_last layouts, the node names, and the errors
for unsupported pad sizes, empty dims and fully cropped outputs.

tolerance: rtol=1e-4 atol=1e-5
"""
import math
import torch
import torch.nn.functional as F

torch.manual_seed(0)
img = torch.rand(2, 3, 5, 6)
# affine grid rotation
for ac in (False, True):
    theta = torch.tensor([[math.cos(0.3), -math.sin(0.3), 0.1], [math.sin(0.3), math.cos(0.3), -0.2]]).unsqueeze(0).repeat(2, 1, 1)
    grid = F.affine_grid(theta, img.shape, align_corners=ac)
    print(grid.shape, grid.dtype, grid[0, 0, :2])
    for mode in ("bilinear", "nearest", "bicubic"):
        for pm in ("zeros", "border", "reflection"):
            out = F.grid_sample(img, grid * 1.3, mode=mode, padding_mode=pm, align_corners=ac)
            print(mode, pm, ac, f"{out.sum():.4f}", f"{out[1, 2, 3, 4]:.4f}")
# grid_sample default warning-free call
g = torch.rand(1, 4, 4, 2) * 2 - 1
print(F.grid_sample(img[:1], g, align_corners=False)[0, 0])
# 5d
vol = torch.rand(1, 2, 3, 4, 5)
th3 = torch.eye(3, 4).unsqueeze(0) * 0.9
g3 = F.affine_grid(th3, (1, 2, 2, 3, 4), align_corners=False)
print(g3.shape)
for mode in ("bilinear", "nearest"):
    for pm in ("zeros", "border", "reflection"):
        print(mode, pm, f"{F.grid_sample(vol, g3, mode=mode, padding_mode=pm, align_corners=False).sum():.4f}")
# gradients
img.requires_grad_(True)
theta = torch.tensor([[[0.8, 0.1, 0.05], [-0.1, 0.9, 0.0]]], requires_grad=True)
grid = F.affine_grid(theta.expand(2, 2, 3), img.shape, align_corners=False)
out = F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)
out.pow(2).mean().backward()
print(f"{img.grad.sum():.4f}", theta.grad)
img.grad = None
theta.grad = None
grid = F.affine_grid(theta.expand(2, 2, 3), img.shape, align_corners=True)
out = F.grid_sample(img, grid, mode="bicubic", padding_mode="reflection", align_corners=True)
out.pow(2).mean().backward()
print(f"{img.grad.sum():.4f}", theta.grad)
# errors
try:
    F.grid_sample(img, torch.zeros(2, 3, 3, 3))
except Exception as e:
    print(type(e).__name__, e)
try:
    F.affine_grid(torch.zeros(1, 3, 3), (1, 1, 4, 4), align_corners=False)
except Exception as e:
    print(type(e).__name__, e)
try:
    F.grid_sample(img, grid, mode="cubic")
except Exception as e:
    print(type(e).__name__, e)
try:
    F.grid_sample(vol, g3, mode="bicubic")
except Exception as e:
    print(type(e).__name__, e)
# spatial transformer crop
boxes = torch.tensor([[0.25, 0.25, 0.75, 0.75], [0.0, 0.1, 0.5, 0.9]])
N = boxes.shape[0]
sx = boxes[:, 2] - boxes[:, 0]
sy = boxes[:, 3] - boxes[:, 1]
tx = boxes[:, 0] + boxes[:, 2] - 1
ty = boxes[:, 1] + boxes[:, 3] - 1
th = torch.zeros(N, 2, 3)
th[:, 0, 0] = sx
th[:, 0, 2] = tx
th[:, 1, 1] = sy
th[:, 1, 2] = ty
crops = F.grid_sample(img.detach(), F.affine_grid(th, (N, 3, 3, 3), align_corners=False), align_corners=False)
print(crops.shape, crops[0, 0])
# half / float64
print(F.grid_sample(img.detach().double(), g.double().expand(2, 4, 4, 2), align_corners=True).dtype)
print(F.affine_grid(theta.detach().double(), (1, 1, 2, 2), align_corners=False).dtype)

# empty batches and bfloat16
e = F.grid_sample(torch.rand(0, 2, 3, 3), torch.rand(0, 2, 2, 2), align_corners=False)
print(e.shape, F.grid_sample(torch.rand(2, 0, 3, 3), torch.rand(2, 2, 2, 2), align_corners=False).shape)
xb = img.detach()[:1].bfloat16().requires_grad_()
ob = F.grid_sample(xb, g.bfloat16(), align_corners=False)
ob.sum().backward()
print(ob.dtype, xb.grad.dtype, f"{ob.float().sum():.2f}")
for i, gg in ((torch.zeros(2, 1, 4, 4), torch.zeros(3, 3, 3, 3)), (torch.zeros(2, 1, 4, 4), torch.zeros(2, 3, 3, 3)),
              (torch.zeros(2, 1, 0, 4), torch.zeros(2, 3, 3, 2)), (torch.zeros(2, 1, 4, 4, 4), torch.zeros(2, 3, 3, 3)),
              (torch.zeros(2, 1, 4, 4).long(), torch.zeros(2, 3, 3, 2)), (torch.zeros(2, 1, 4, 4), torch.zeros(2, 3, 3, 2).double())):
    try:
        F.grid_sample(i, gg, align_corners=False)
    except Exception as e:
        print(type(e).__name__, e)
try:
    F.affine_grid(torch.zeros(1, 2, 3), (1, 1, 0, 4), align_corners=False)
except Exception as e:
    print(type(e).__name__, e)

# padding
x = torch.arange(1.0, 6.0).view(1, 1, 5).requires_grad_()
for mode in ("reflect", "replicate", "circular"):
    for p in ((-1, -1), (-1, 2), (2, -1), (-2, 0)):
        print(mode, p, F.pad(x, p, mode=mode).flatten().tolist())
y = F.pad(x, (-1, 2), mode="reflect")
y.backward(torch.arange(1.0, 7.0).view(1, 1, 6))
print(x.grad, y.grad_fn.name(), F.pad(x, (1, 1), mode="replicate").grad_fn.name())
cl = torch.rand(2, 3, 4, 5).to(memory_format=torch.channels_last)
for mode in ("constant", "reflect", "replicate", "circular"):
    z = torch.zeros(1, 2, 3)
    out = F.pad(z, (0, 0), mode=mode)
    out += 1
    print(mode, z.sum().item(), F.pad(cl, (1, 1, 1, 1), mode=mode).stride())
for shape, p, mode in (((2, 3), (1, 1, 1, 1), "reflect"), ((2, 3, 4, 5), (1, 1), "replicate"), ((2, 3), (1, 1, 1), "wrap"),
                       ((1, 0, 4), (1, 1), "reflect"), ((1, 1, 3, 4), (-3, -1, -2, -1), "reflect"),
                       ((1, 1, 2, 3, 4), (-4, 0, -3, 0, -2, 0), "replicate"), ((1, 2, 3), (3, 3), "reflect")):
    try:
        print(F.pad(torch.zeros(shape), p, mode=mode).shape)
    except Exception as e:
        print(type(e).__name__, e)
