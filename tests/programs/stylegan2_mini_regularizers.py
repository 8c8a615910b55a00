"""A StyleGAN2-style training step in miniature: a mapping network of equalized-lr linear layers
(lr_mul, leaky_relu * sqrt(2)), modulated/demodulated convolutions run as one grouped conv2d over
the batch (rsqrt of summed squared weights), learned noise strength, bilinear upsampling, a
non-saturating softplus loss, the R1 penalty (autograd.grad on real images, create_graph=True),
path-length regularization (autograd.grad on the latents, a running mean detached), Adam with
betas=(0.0, 0.99 ** ratio), requires_grad toggling, and a generator EMA accumulated through .data.
"""
import copy
import math
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import autograd

torch.manual_seed(0)


class EqualLinear(nn.Module):
    def __init__(self, i, o, lr_mul=1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(o, i).div_(lr_mul))
        self.bias = nn.Parameter(torch.zeros(o))
        self.scale = (1 / math.sqrt(i)) * lr_mul
        self.lr_mul = lr_mul

    def forward(self, x):
        return F.leaky_relu(F.linear(x, self.weight * self.scale, bias=self.bias * self.lr_mul), 0.2) * math.sqrt(2)


class ModConv(nn.Module):
    def __init__(self, cin, cout, k, sdim, demod=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, cout, cin, k, k))
        self.mod = nn.Linear(sdim, cin)
        self.mod.bias.data.fill_(1)
        self.demod, self.pad, self.cout = demod, k // 2, cout
        self.scale = 1 / math.sqrt(cin * k * k)

    def forward(self, x, style):
        b, cin, h, w = x.shape
        s = self.mod(style).view(b, 1, cin, 1, 1)
        weight = self.scale * self.weight * s
        if self.demod:
            demod = torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8)
            weight = weight * demod.view(b, self.cout, 1, 1, 1)
        weight = weight.view(b * self.cout, cin, *weight.shape[3:])
        out = F.conv2d(x.view(1, b * cin, h, w), weight, padding=self.pad, groups=b)
        return out.view(b, self.cout, *out.shape[2:])


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.mapping = nn.Sequential(EqualLinear(8, 8, 0.01), EqualLinear(8, 8, 0.01))
        self.const = nn.Parameter(torch.randn(1, 4, 4, 4))
        self.c1 = ModConv(4, 4, 3, 8)
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.to_rgb = ModConv(4, 3, 1, 8, demod=False)

    def forward(self, z, return_latents=False):
        wl = self.mapping(z)
        x = self.const.repeat(z.shape[0], 1, 1, 1)
        x = self.c1(x, wl)
        x = x + self.noise_strength * torch.randn(x.shape[0], 1, x.shape[2], x.shape[3])
        x = F.leaky_relu(x, 0.2)
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        img = self.to_rgb(x, wl)
        return (img, wl) if return_latents else img


class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.LeakyReLU(0.2), nn.AvgPool2d(2), nn.Conv2d(8, 8, 3, 1, 1), nn.LeakyReLU(0.2))
        self.fc = nn.Linear(8 * 4 * 4, 1)

    def forward(self, x):
        return self.fc(self.net(x).flatten(1))


def requires_grad(model, flag=True):
    for p in model.parameters():
        p.requires_grad = flag


def accumulate(model1, model2, decay=0.999):
    par1 = dict(model1.named_parameters())
    par2 = dict(model2.named_parameters())
    for k in par1.keys():
        par1[k].data.mul_(decay).add_(par2[k].data, alpha=1 - decay)


g, d = G(), D()
g_ema = copy.deepcopy(g).eval()
accumulate(g_ema, g, 0)
g_opt = torch.optim.Adam(g.parameters(), lr=2e-3 * 4 / 5, betas=(0.0, 0.99 ** (4 / 5)))
d_opt = torch.optim.Adam(d.parameters(), lr=2e-3 * 16 / 17, betas=(0.0, 0.99 ** (16 / 17)))
mean_path_length = 0
for i in range(4):
    real = torch.rand(4, 3, 8, 8) * 2 - 1
    requires_grad(g, False)
    requires_grad(d, True)
    fake = g(torch.randn(4, 8))
    d_loss = F.softplus(d(fake)).mean() + F.softplus(-d(real)).mean()
    d.zero_grad()
    d_loss.backward()
    d_opt.step()
    real.requires_grad = True
    real_pred = d(real)
    grad_real, = autograd.grad(outputs=real_pred.sum(), inputs=real, create_graph=True)
    r1 = grad_real.pow(2).reshape(grad_real.shape[0], -1).sum(1).mean()
    d.zero_grad()
    (10 / 2 * r1 * 16 + 0 * real_pred[0]).backward()
    d_opt.step()
    requires_grad(g, True)
    requires_grad(d, False)
    fake = g(torch.randn(4, 8))
    g_loss = F.softplus(-d(fake)).mean()
    g.zero_grad()
    g_loss.backward()
    g_opt.step()
    img, latents = g(torch.randn(2, 8), return_latents=True)
    noise = torch.randn_like(img) / math.sqrt(img.shape[2] * img.shape[3])
    grad, = autograd.grad(outputs=(img * noise).sum(), inputs=latents, create_graph=True)
    path_lengths = torch.sqrt(grad.pow(2).sum(1))
    path_mean = mean_path_length + 0.01 * (path_lengths.mean() - mean_path_length)
    path_loss = (path_lengths - path_mean).pow(2).mean()
    mean_path_length = path_mean.detach()
    g.zero_grad()
    (2 * 4 * path_loss + 0 * img[0, 0, 0, 0]).backward()
    g_opt.step()
    accumulate(g_ema, g, 0.5 ** (32 / (10 * 1000)))
    print(f"{i} d {d_loss.item():.4f} r1 {r1.item():.4f} g {g_loss.item():.4f} path {path_loss.item():.6f} mpl {mean_path_length.item():.5f}")
print(g.noise_strength.grad, g.const.grad.shape)
with torch.no_grad():
    print(g_ema(torch.randn(1, 8))[0, 0, 0, :4])
