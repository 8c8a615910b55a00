"""Convolution by hand with im2col: F.unfold to extract patches, a matmul with the flattened
kernel, and a view back to the image -- compared with F.conv2d for stride, padding, dilation and
groups, including gradients for input and weight; F.fold as unfold's adjoint (overlap counts,
col2im), a transposed convolution built from fold compared with F.conv_transpose2d, and nn.Unfold /
nn.Fold modules.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def conv2d_im2col(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    n, c_in, h, w = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)  # (N, C*kh*kw, L)
    h_out = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    w_out = (w + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    cols = cols.view(n, groups, c_per_group * kh * kw, -1)
    wmat = weight.view(groups, c_out // groups, -1)
    out = torch.einsum("gok,ngkl->ngol", wmat, cols).reshape(n, c_out, h_out, w_out)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


x = torch.arange(16.0).view(1, 1, 4, 4)
patches = F.unfold(x, kernel_size=2, stride=2)
print(patches.shape)
print(patches)
print("overlap counts\n", F.fold(F.unfold(torch.ones(1, 1, 4, 4), 3, padding=1), (4, 4), 3, padding=1)[0, 0])

configs = [
    dict(stride=1, padding=0, dilation=1, groups=1),
    dict(stride=2, padding=1, dilation=1, groups=1),
    dict(stride=1, padding=2, dilation=2, groups=1),
    dict(stride=1, padding=1, dilation=1, groups=2),
]
for cfg in configs:
    x = torch.randn(2, 4, 7, 6, requires_grad=True)
    w = torch.randn(6, 4 // cfg["groups"], 3, 3, requires_grad=True)
    b = torch.randn(6, requires_grad=True)
    ref = F.conv2d(x, w, b, **cfg)
    mine = conv2d_im2col(x, w, b, **cfg)
    g = torch.randn_like(ref)
    gx_ref, gw_ref, gb_ref = torch.autograd.grad(ref, (x, w, b), g)
    gx, gw, gb = torch.autograd.grad(mine, (x, w, b), g)
    print(cfg, tuple(mine.shape),
          f"out {(mine - ref).abs().max().item() < 1e-4}",
          f"dx {(gx - gx_ref).abs().max().item() < 1e-4}",
          f"dw {(gw - gw_ref).abs().max().item() < 1e-4}",
          f"db {torch.allclose(gb, gb_ref, atol=1e-5)}")
    print(f"  sum {mine.sum().item():.4f} |dw| {gw.norm().item():.4f}")

# fold is the adjoint of unfold: <unfold(x), y> == <x, fold(y)>
x = torch.randn(2, 3, 5, 5)
y = torch.randn(2, 3 * 2 * 2, 16)
lhs = (F.unfold(x, 2) * y).sum()
rhs = (x * F.fold(y, (5, 5), 2)).sum()
print(f"adjoint {lhs.item():.5f} {rhs.item():.5f}")

# unfold-then-fold divided by the overlap count reconstructs the image
x = torch.randn(1, 2, 6, 6)
ones = torch.ones_like(x)
recon = F.fold(F.unfold(x, 3, padding=1), (6, 6), 3, padding=1) / F.fold(F.unfold(ones, 3, padding=1), (6, 6), 3, padding=1)
print("reconstruct", torch.allclose(recon, x, atol=1e-6))


# transposed convolution = weight^T @ cols, then col2im with fold
def conv_transpose2d_fold(x, weight, stride=1, padding=0):
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    h_out = (h - 1) * stride - 2 * padding + kh
    w_out = (w - 1) * stride - 2 * padding + kw
    cols = weight.view(c_in, -1).t() @ x.view(n, c_in, -1)  # (N, c_out*kh*kw, h*w)
    return F.fold(cols, (h_out, w_out), (kh, kw), padding=padding, stride=stride)


x = torch.randn(2, 3, 4, 4, requires_grad=True)
w = torch.randn(3, 5, 3, 3, requires_grad=True)
ref = F.conv_transpose2d(x, w, stride=2, padding=1)
mine = conv_transpose2d_fold(x, w, stride=2, padding=1)
print("conv_transpose", tuple(mine.shape), torch.allclose(mine, ref, atol=1e-5))
mine.pow(2).sum().backward()
gx, gw = x.grad.clone(), w.grad.clone()
x.grad = None
w.grad = None
ref.pow(2).sum().backward()
print("conv_transpose grads", torch.allclose(gx, x.grad, atol=1e-4), torch.allclose(gw, w.grad, atol=1e-4))

unfold = nn.Unfold(kernel_size=(2, 3), dilation=1, padding=(1, 0), stride=(1, 2))
fold = nn.Fold(output_size=(5, 7), kernel_size=(2, 3), padding=(1, 0), stride=(1, 2))
print(unfold, fold, sep="\n")
z = torch.randn(1, 2, 5, 7)
cols = unfold(z)
print("module shapes", cols.shape, fold(cols).shape)
print(fold(cols)[0, 0, :2])

# a tiny conv layer trained with the by-hand path
torch.manual_seed(1)
images = torch.randn(16, 1, 6, 6)
targets = F.avg_pool2d(images, 3, stride=1, padding=1)  # learn a box blur
kernel = torch.zeros(1, 1, 3, 3, requires_grad=True)
opt = torch.optim.SGD([kernel], lr=0.5)
for step in range(30):
    loss = F.mse_loss(conv2d_im2col(images, kernel, padding=1), targets)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.6f}")
print("learned kernel", kernel.detach()[0, 0])
