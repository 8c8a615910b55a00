"""A small VQ-VAE on synthetic 8x8 blob images: a conv encoder, a vector-quantizer that finds the
nearest codebook entry with torch.cdist + argmin, the straight-through estimator
(z + (z_q - z).detach()), codebook and commitment losses built with detach, codebook usage and
perplexity from bincount, and an EMA-free training loop with Adam.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def make_blobs(n):
    yy, xx = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    cy = torch.rand(n, 1, 1) * 5 + 1.5
    cx = torch.rand(n, 1, 1) * 5 + 1.5
    r = torch.rand(n, 1, 1) * 1.5 + 1.0
    img = torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r ** 2))
    return img.unsqueeze(1)


class VectorQuantizer(nn.Module):
    def __init__(self, n_codes, dim, beta=0.25):
        super().__init__()
        self.codebook = nn.Embedding(n_codes, dim)
        self.codebook.weight.data.uniform_(-1.0 / n_codes, 1.0 / n_codes)
        self.beta = beta

    def forward(self, z):  # z: B, D, H, W
        B, D, H, W = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, D)
        dist = torch.cdist(flat, self.codebook.weight)  # N, K
        idx = dist.argmin(dim=1)
        z_q = self.codebook(idx).view(B, H, W, D).permute(0, 3, 1, 2)
        codebook_loss = F.mse_loss(z_q, z.detach())
        commit_loss = F.mse_loss(z, z_q.detach())
        z_st = z + (z_q - z).detach()  # straight-through
        return z_st, codebook_loss + self.beta * commit_loss, idx.view(B, H, W)


class VQVAE(nn.Module):
    def __init__(self, n_codes=16, dim=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 16, 4, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(16, dim, 3, padding=1))
        self.vq = VectorQuantizer(n_codes, dim)
        self.decoder = nn.Sequential(nn.Conv2d(dim, 16, 3, padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1))

    def forward(self, x):
        z = self.encoder(x)
        z_q, vq_loss, codes = self.vq(z)
        return self.decoder(z_q), vq_loss, codes


x = make_blobs(64)
print(x.shape, f"{x.mean().item():.4f}", f"{x.max().item():.4f}")
model = VQVAE()
print(model)

# the straight-through estimator passes the decoder's gradient to the encoder unchanged
z = torch.randn(1, 4, 2, 2, requires_grad=True)
z_st, vq_loss, codes = model.vq(z)
print(codes, z_st.grad_fn is not None)
(z_st * torch.arange(16.0).view(1, 4, 2, 2)).sum().backward()
print(z.grad.view(-1))
print(model.vq.codebook.weight.grad)

opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(120):
    recon, vq_loss, codes = model(x)
    rec_loss = F.mse_loss(recon, x)
    loss = rec_loss + vq_loss
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 30 == 0 or step == 119:
        counts = torch.bincount(codes.flatten(), minlength=16).float()
        p = counts / counts.sum()
        perplexity = torch.exp(-(p * torch.log(p + 1e-10)).sum())
        print(f"step {step:3d} rec {rec_loss.item():.4f} vq {vq_loss.item():.4f} "
              f"used {int((counts > 0).sum().item())} perplexity {perplexity.item():.2f}")

model.eval()
with torch.no_grad():
    recon, _, codes = model(x[:2])
    print(codes.shape, codes.dtype)
    print(f"{F.mse_loss(recon, x[:2]).item():.4f}")
    print(recon[0, 0, 2:6, 2:6].round(decimals=2))
