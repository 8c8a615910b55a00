"""A CTC speech model: Conv1d + BatchNorm front end, 2-layer bidirectional LSTM, log_softmax(2) of
(T, N, C), nn.CTCLoss with zero_infinity, OneCycleLR, greedy decoding with unique_consecutive,
impossible alignments (inf / zeroed losses and their gradients, printed nodes), concatenated and
int32 targets, and Luong dot / general / concat attention with bmm."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
T, N, C = 30, 4, 8   # blank = 0
class SpeechModel(nn.Module):
    def __init__(self, feat=13, hid=32):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(feat, hid, 3, padding=1), nn.BatchNorm1d(hid), nn.GELU())
        self.lstm = nn.LSTM(hid, hid, num_layers=2, bidirectional=True, dropout=0.1)
        self.fc = nn.Linear(hid * 2, C)
    def forward(self, x):  # x: (N, feat, T)
        x = self.conv(x)
        x = x.permute(2, 0, 1)  # T, N, hid
        x, (h, c) = self.lstm(x)
        return self.fc(x), h, c

model = SpeechModel()
ctc = nn.CTCLoss(blank=0, zero_infinity=True)
print(ctc)
opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=5e-3, total_steps=20)
feats = torch.randn(N, 13, T)
targets = torch.randint(1, C, (N, 10), dtype=torch.long)
target_lengths = torch.tensor([10, 7, 5, 9])
input_lengths = torch.full((N,), T, dtype=torch.long)
for step in range(20):
    out, h, c = model(feats)
    log_probs = out.log_softmax(2)
    loss = ctc(log_probs, targets, input_lengths, target_lengths)
    opt.zero_grad()
    loss.backward()
    gn = nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    sched.step()
    if step % 5 == 0:
        print(f"step {step:2d} loss {loss.item():.4f} gn {gn:.4f} lr {sched.get_last_lr()[0]:.6f}")
print(h.shape, c.shape, log_probs.shape)
# greedy decoding
model.eval()
with torch.no_grad():
    out, _, _ = model(feats)
    best = out.argmax(-1).T  # N, T
for b in range(N):
    seq = torch.unique_consecutive(best[b])
    seq = seq[seq != 0]
    print(b, seq.tolist())
u, inv, cnt = torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 2, 0, 1, 1]), return_inverse=True, return_counts=True)
print(u, inv, cnt)
# impossible alignment: short input
torch.manual_seed(3)
lp = torch.randn(5, 2, C).log_softmax(2).requires_grad_()
tg = torch.randint(1, C, (2, 8))
il = torch.tensor([5, 5])
tl = torch.tensor([8, 3])
for zi in (False, True):
    l = F.ctc_loss(lp, tg, il, tl, zero_infinity=zi, reduction='none')
    print(zi, l)
    l2 = F.ctc_loss(lp, tg, il, tl, zero_infinity=zi)
    print(l2)
    g, = torch.autograd.grad(l2, lp)
    print(torch.isnan(g).any().item(), g.abs().sum())
# concatenated targets form
tcat = torch.cat([tg[0, :8], tg[1, :3]])
print(F.ctc_loss(lp, tcat, il, tl, reduction='sum', zero_infinity=True))
print(F.ctc_loss(lp, tcat, (5, 5), (8, 3), reduction='mean', zero_infinity=True))
# int32 lengths
print(F.ctc_loss(lp, tg, il.int(), tl.int(), zero_infinity=True))
# Luong attention
torch.manual_seed(4)
class LuongAttn(nn.Module):
    def __init__(self, method, hid):
        super().__init__()
        self.method = method
        if method == 'general':
            self.attn = nn.Linear(hid, hid)
        elif method == 'concat':
            self.attn = nn.Linear(hid * 2, hid)
            self.v = nn.Parameter(torch.FloatTensor(hid))
    def forward(self, hidden, enc):  # hidden 1,B,H ; enc T,B,H
        if self.method == 'dot':
            e = torch.sum(hidden * enc, dim=2)
        elif self.method == 'general':
            e = torch.sum(hidden * self.attn(enc), dim=2)
        else:
            energy = self.attn(torch.cat((hidden.expand(enc.size(0), -1, -1), enc), 2)).tanh()
            e = torch.sum(self.v * energy, dim=2)
        return F.softmax(e.t(), dim=1).unsqueeze(1)
enc = torch.randn(6, 3, 10)
hid = torch.randn(1, 3, 10)
for m in ['dot', 'general', 'concat']:
    a = LuongAttn(m, 10)
    if m == 'concat':
        nn.init.uniform_(a.v)
    w = a(hid, enc)
    ctx = w.bmm(enc.transpose(0, 1))
    print(m, w.shape, ctx.shape, f"{ctx.sum():.4f}")
