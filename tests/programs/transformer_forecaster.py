"""A time-series Transformer forecaster: sinusoidal positional encoding registered as a
(non-persistent) buffer, sliding windows built with Tensor.unfold, per-window normalisation,
an encoder-only model that predicts the next 4 values from 24 past ones, a causal mask, and
multi-step rollout fed back autoregressively; compared against a seasonal-naive baseline.

tolerance: rtol=2e-3 atol=1e-5
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0), persistent=False)

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]


class Forecaster(nn.Module):
    def __init__(self, d_model=32, horizon=4):
        super().__init__()
        self.inp = nn.Linear(1, d_model)
        self.pos = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, 4, 64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, horizon)

    def forward(self, x):  # x: B, T
        mask = nn.Transformer.generate_square_subsequent_mask(x.size(1))
        h = self.encoder(self.pos(self.inp(x.unsqueeze(-1))), mask=mask, is_causal=True)
        return self.head(h[:, -1])


t = torch.arange(400.0)
series = 2.0 * torch.sin(2 * math.pi * t / 12) + 0.5 * torch.sin(2 * math.pi * t / 30) + 0.01 * t
series = series + 0.2 * torch.randn(400)
LOOK, H = 24, 4
windows = series.unfold(0, LOOK + H, 1)  # (N, 28)
print(windows.shape, windows.stride())
X, Y = windows[:, :LOOK], windows[:, LOOK:]
mu, sd = X.mean(1, keepdim=True), X.std(1, keepdim=True)
Xn, Yn = (X - mu) / sd, (Y - mu) / sd
n_train = 300
print(Xn.shape, Yn.shape, f"{Xn[:n_train].mean().item():.4f}")

model = Forecaster(horizon=H)
print(model.pos.pe.shape, "pe" in model.state_dict(), [n for n, _ in model.named_buffers()])
print(f"{model.pos.pe[0, 1, :4]}")
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=15)
for epoch in range(15):
    perm = torch.randperm(n_train)
    total = 0.0
    for i in range(0, n_train, 50):
        idx = perm[i:i + 50]
        loss = F.mse_loss(model(Xn[idx]), Yn[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    sched.step()
    if epoch % 5 == 0 or epoch == 14:
        print(f"epoch {epoch:2d} train mse {total / n_train:.4f} lr {sched.get_last_lr()[0]:.6f}")

model.eval()
with torch.no_grad():
    pred = model(Xn[n_train:]) * sd[n_train:] + mu[n_train:]
    mae = (pred - Y[n_train:]).abs().mean().item()
    naive = X[n_train:, -12:-12 + H]  # seasonal naive: the value one period ago
    naive_mae = (naive - Y[n_train:]).abs().mean().item()
    print(f"test MAE model {mae:.3f} seasonal-naive {naive_mae:.3f}")
    # autoregressive rollout of 12 steps from the last window, feeding back the first predicted value
    hist = series[-LOOK:].clone()
    out = []
    for _ in range(12):
        m, s = hist.mean(), hist.std()
        nxt = model(((hist - m) / s).unsqueeze(0))[0, 0] * s + m
        out.append(nxt.item())
        hist = torch.cat([hist[1:], nxt.view(1)])
    print("rollout", [round(v, 1) for v in out])
