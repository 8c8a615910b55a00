"""A small capsule network (Sabour et al. style) on synthetic 10x10 digit-like glyphs: primary
capsules from a Conv2d reshaped into 8-D vectors, the squash non-linearity, prediction vectors
u_hat via torch.einsum with a learned transformation tensor, three iterations of dynamic routing
(softmax over output capsules, agreement updates with detached predictions), margin loss on the
capsule lengths, and a reconstruction decoder masked by the true class.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
N_CLASSES = 3


def squash(s, dim=-1, eps=1e-8):
    sq = (s ** 2).sum(dim, keepdim=True)
    return (sq / (1.0 + sq)) * s / torch.sqrt(sq + eps)


def make_glyphs(n):
    labels = torch.arange(n) % N_CLASSES
    r = torch.arange(10).view(10, 1)
    c = torch.arange(10).view(1, 10)
    t = torch.stack([
        ((c >= 4) & (c <= 5) & (r >= 1) & (r <= 8)),                      # "1"
        ((r == 2) | (r == 7)) & (c >= 2) & (c <= 7) | ((c == 2) | (c == 7)) & (r >= 2) & (r <= 7),  # "0"
        ((r - c).abs() <= 0) | ((r + c - 9).abs() <= 0),                   # "x"
    ]).float()
    shift = torch.randint(-1, 2, (n, 2))
    imgs = torch.stack([torch.roll(t[l], shifts=(int(a), int(b)), dims=(0, 1)) for l, (a, b) in zip(labels.tolist(), shift.tolist())])
    return (imgs + 0.1 * torch.rand(n, 10, 10)).unsqueeze(1), labels


class CapsNet(nn.Module):
    def __init__(self, routing_iters=3):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 3)  # -> 8x8
        self.primary = nn.Conv2d(16, 4 * 8, 3, stride=2)  # -> 3x3, 4 capsule types of dim 8
        n_primary = 4 * 3 * 3
        self.W = nn.Parameter(0.05 * torch.randn(n_primary, N_CLASSES, 12, 8))
        self.iters = routing_iters
        self.decoder = nn.Sequential(nn.Linear(12 * N_CLASSES, 64), nn.ReLU(), nn.Linear(64, 100), nn.Sigmoid())

    def forward(self, x, y=None):
        h = F.relu(self.conv(x))
        p = self.primary(h)  # B, 32, 3, 3
        B = p.size(0)
        u = p.view(B, 4, 8, 3, 3).permute(0, 1, 3, 4, 2).reshape(B, -1, 8)
        u = squash(u)
        u_hat = torch.einsum("ijdk,bik->bijd", self.W, u)  # B, in, out, 12
        b = torch.zeros(B, u_hat.size(1), N_CLASSES)
        u_hat_detached = u_hat.detach()
        for it in range(self.iters):
            c = F.softmax(b, dim=2)
            if it == self.iters - 1:
                s = (c.unsqueeze(-1) * u_hat).sum(1)
                v = squash(s)
            else:
                s = (c.unsqueeze(-1) * u_hat_detached).sum(1)
                v = squash(s)
                b = b + torch.einsum("bijd,bjd->bij", u_hat_detached, v)
        lengths = v.norm(dim=-1)
        if y is None:
            y = lengths.argmax(1)
        masked = (v * F.one_hot(y, N_CLASSES).unsqueeze(-1)).flatten(1)
        return lengths, self.decoder(masked), c


def margin_loss(lengths, y, m_pos=0.9, m_neg=0.1, lam=0.5):
    t = F.one_hot(y, N_CLASSES).float()
    loss = t * F.relu(m_pos - lengths) ** 2 + lam * (1 - t) * F.relu(lengths - m_neg) ** 2
    return loss.sum(1).mean()


s = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
print(squash(s), squash(s).norm(dim=-1))
x, y = make_glyphs(90)
print(x.shape, torch.bincount(y))
model = CapsNet()
lengths, recon, c = model(x[:4])
print(lengths.shape, recon.shape, c.shape, torch.allclose(c.sum(2), torch.ones(4, 36)))
print(model.W.shape, sum(p.numel() for p in model.parameters()))

opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(15):
    perm = torch.randperm(90)
    for i in range(0, 90, 30):
        idx = perm[i:i + 30]
        lengths, recon, _ = model(x[idx], y[idx])
        m = margin_loss(lengths, y[idx])
        r = F.mse_loss(recon, x[idx].flatten(1), reduction="sum") / len(idx)
        loss = m + 0.0005 * r
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 5 == 4:
        print(f"epoch {epoch:2d} margin {m.item():.4f} recon {r.item():.3f}")

x_test, y_test = make_glyphs(30)
with torch.no_grad():
    lengths, recon, c = model(x_test)
    pred = lengths.argmax(1)
print(f"test accuracy {(pred == y_test).float().mean().item():.3f}")
print(lengths[:3].round(decimals=2))
print("routing coefficient range", f"{c.min().item():.3f} {c.max().item():.3f}")
