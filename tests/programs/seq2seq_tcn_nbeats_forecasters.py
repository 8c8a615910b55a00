"""Forecasters: a GRU encoder / GRUCell decoder seq2seq with teacher forcing and ReduceLROnPlateau, a
stateful LSTM trained with hidden states detached between chunks and an autoregressive rollout, a
TCN of dilated causal Conv1d blocks with Chomp1d and both weight_norm spellings, and N-BEATS-style
MLP blocks with a polynomial trend basis."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import weight_norm

torch.manual_seed(0)
T = 120
t = torch.arange(T, dtype=torch.float32)
series = torch.sin(t / 6) + 0.3 * torch.sin(t / 2.5) + 0.05 * torch.randn(T)
win, horizon = 24, 6
W = series.unfold(0, win + horizon, 1)
X, Y = W[:, :win], W[:, win:]
print(X.shape, Y.shape)

class Encoder(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.gru = nn.GRU(1, h, num_layers=2, batch_first=True, dropout=0.1)
    def forward(self, x):
        return self.gru(x.unsqueeze(-1))

class Decoder(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.cell = nn.GRUCell(1, h)
        self.out = nn.Linear(h, 1)
    def forward(self, y_prev, h):
        h = self.cell(y_prev, h)
        return self.out(h), h

class Seq2Seq(nn.Module):
    def __init__(self, h=16):
        super().__init__()
        self.enc, self.dec = Encoder(h), Decoder(h)
    def forward(self, x, y=None, tf=0.5):
        _, h = self.enc(x)
        h = h[-1]
        inp = x[:, -1:]
        outs = []
        for k in range(horizon):
            o, h = self.dec(inp, h)
            outs.append(o)
            if y is not None and torch.rand(1).item() < tf:
                inp = y[:, k:k + 1]
            else:
                inp = o
        return torch.cat(outs, dim=1)

model = Seq2Seq()
print(model)
opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
for ep in range(8):
    model.train()
    perm = torch.randperm(X.shape[0])
    tot = 0.0
    for i in range(0, X.shape[0], 32):
        idx = perm[i:i + 32]
        pred = model(X[idx], Y[idx], tf=0.5)
        loss = F.mse_loss(pred, Y[idx])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tot += loss.item() * len(idx)
    sched.step(tot)
    print(ep, f"{tot / X.shape[0]:.4f}", sched.get_last_lr() if hasattr(sched, 'get_last_lr') else None)
model.eval()
with torch.no_grad():
    p = model(X[-1:])
print(p.shape, p)

# stateful LSTM with detach between batches (TBPTT)
torch.manual_seed(1)
lstm = nn.LSTM(1, 8, batch_first=True)
head = nn.Linear(8, 1)
opt2 = torch.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=0.05, momentum=0.9)
hidden = None
seq = series.view(1, -1, 1)
for s in range(0, T - 21, 20):
    xb = seq[:, s:s + 20]
    yb = seq[:, s + 1:s + 21]
    out, hidden = lstm(xb, hidden)
    hidden = tuple(h.detach() for h in hidden)
    loss = F.mse_loss(head(out), yb)
    opt2.zero_grad()
    loss.backward()
    opt2.step()
    print(s, f"{loss.item():.4f}", hidden[0].requires_grad, hidden[0].shape)
# autoregressive rollout
with torch.no_grad():
    ctx = seq[:, :40]
    out, (h, c) = lstm(ctx)
    last = head(out[:, -1:])
    preds = [last]
    for _ in range(5):
        out, (h, c) = lstm(last, (h, c))
        last = head(out)
        preds.append(last)
    print(torch.cat(preds, 1).squeeze())

# TCN
class Chomp1d(nn.Module):
    def __init__(self, chomp_size):
        super().__init__()
        self.chomp_size = chomp_size
    def forward(self, x):
        return x[:, :, :-self.chomp_size].contiguous()

class TemporalBlock(nn.Module):
    def __init__(self, n_in, n_out, k, dilation, dropout=0.2):
        super().__init__()
        pad = (k - 1) * dilation
        self.conv1 = weight_norm(nn.Conv1d(n_in, n_out, k, padding=pad, dilation=dilation))
        self.chomp1 = Chomp1d(pad)
        self.conv2 = nn.utils.parametrizations.weight_norm(nn.Conv1d(n_out, n_out, k, padding=pad, dilation=dilation))
        self.chomp2 = Chomp1d(pad)
        self.net = nn.Sequential(self.conv1, self.chomp1, nn.ReLU(), nn.Dropout(dropout),
                                 self.conv2, self.chomp2, nn.ReLU(), nn.Dropout(dropout))
        self.down = nn.Conv1d(n_in, n_out, 1) if n_in != n_out else None
        self.relu = nn.ReLU()
        self.conv1.weight.data.normal_(0, 0.01)
    def forward(self, x):
        out = self.net(x)
        res = x if self.down is None else self.down(x)
        return self.relu(out + res)

torch.manual_seed(2)
tcn = nn.Sequential(*[TemporalBlock(1 if i == 0 else 8, 8, 3, 2 ** i) for i in range(3)])
print(tcn[0])
print(sum(p.numel() for p in tcn.parameters()))
print([n for n, _ in tcn[0].named_parameters()])
y = tcn(series.view(1, 1, -1))
print(y.shape, y[0, :2, -3:])
causal = nn.Conv1d(1, 1, 3, dilation=4)
xpad = F.pad(series.view(1, 1, -1), (8, 0))
print(causal(xpad).shape)

# N-BEATS block
class NBeatsBlock(nn.Module):
    def __init__(self, inp, out, h=32, theta=8):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(inp, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
        self.theta_b = nn.Linear(h, theta, bias=False)
        self.theta_f = nn.Linear(h, theta, bias=False)
        self.back = nn.Linear(theta, inp)
        self.fore = nn.Linear(theta, out)
    def forward(self, x):
        h = self.fc(x)
        return self.back(self.theta_b(h)), self.fore(self.theta_f(h))

class TrendBasis(nn.Module):
    def __init__(self, deg, L, H):
        super().__init__()
        tb = torch.linspace(0, 1, L)
        tf = torch.linspace(0, 1, H)
        self.register_buffer("Tb", torch.stack([tb ** i for i in range(deg + 1)]))
        self.register_buffer("Tf", torch.stack([tf ** i for i in range(deg + 1)]))
    def forward(self, theta):
        return theta @ self.Tb, theta @ self.Tf

torch.manual_seed(3)
blocks = nn.ModuleList([NBeatsBlock(win, horizon) for _ in range(3)])
tb = TrendBasis(2, win, horizon)
print(tb, dict(tb.named_buffers()).keys(), tb.Tb.shape)
opt3 = torch.optim.Adam(blocks.parameters(), lr=1e-3)
for it in range(10):
    resid = X
    fc = torch.zeros_like(Y)
    for b in blocks:
        bc, f = b(resid)
        resid = resid - bc
        fc = fc + f
    loss = F.l1_loss(fc, Y)
    opt3.zero_grad()
    loss.backward()
    opt3.step()
print(f"{loss.item():.4f}")
print(tb(torch.ones(2, 3))[1])
