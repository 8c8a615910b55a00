"""Two pieces of classic vision/speech tutorials. A spatial transformer: a localisation net whose
last layer starts at the identity transform, F.affine_grid + F.grid_sample to undo known rotations of
synthetic images. Then a toy speech recogniser: a GRU over frames trained with nn.CTCLoss on
unaligned label sequences, and greedy CTC decoding (collapse repeats, drop blanks).

tolerance: rtol=3e-3 atol=1e-4
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# ---------------- spatial transformer ----------------
size = 12
base = torch.zeros(1, 1, size, size)
base[..., 3:9, 5:7] = 1.0   # a vertical bar
base[..., 3:5, 5:10] = 1.0  # with a flag: a "7"-ish shape
angles = (torch.rand(16) - 0.5) * math.pi / 2


def rotation(theta):
    c, s = torch.cos(theta), torch.sin(theta)
    zero = torch.zeros_like(c)
    return torch.stack([torch.stack([c, -s, zero], -1), torch.stack([s, c, zero], -1)], -2)  # (N, 2, 3)


grid = F.affine_grid(rotation(angles), (16, 1, size, size), align_corners=False)
rotated = F.grid_sample(base.expand(16, -1, -1, -1), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
print(grid.shape, rotated.shape, f"{rotated.sum().item():.4f}")
ident = F.affine_grid(torch.tensor([[[1.0, 0, 0], [0, 1, 0]]]), (1, 1, size, size), align_corners=False)
print(torch.allclose(F.grid_sample(base, ident, align_corners=False), base, atol=1e-6), ident[0, 0, :3])


class STN(nn.Module):
    def __init__(self):
        super().__init__()
        self.localization = nn.Sequential(nn.Conv2d(1, 8, 3), nn.MaxPool2d(2), nn.ReLU(True), nn.Conv2d(8, 8, 3),
                                          nn.ReLU(True))
        self.fc_loc = nn.Sequential(nn.Linear(8 * 3 * 3, 16), nn.ReLU(True), nn.Linear(16, 6))
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def forward(self, x):
        theta = self.fc_loc(self.localization(x).flatten(1)).view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False), theta


stn = STN()
out, theta = stn(rotated)
print(theta[0], torch.allclose(out, rotated, atol=1e-5))
opt = torch.optim.Adam(stn.parameters(), lr=1e-2)
target = base.expand(16, -1, -1, -1)
for step in range(50):
    out, theta = stn(rotated)
    loss = F.mse_loss(out, target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(f"stn step {step:2d} loss {loss.item():.5f}")
print(stn.fc_loc[2].bias.grad is not None, theta.detach()[:2])
for mode in ["nearest", "bilinear"]:
    for pad in ["zeros", "border", "reflection"]:
        g = F.affine_grid(rotation(torch.tensor([0.3])) * 1.2, (1, 1, size, size), align_corners=True)
        print(mode, pad, f"{F.grid_sample(base, g, mode=mode, padding_mode=pad, align_corners=True).sum().item():.4f}")

# ---------------- CTC speech toy ----------------
n_labels = 4          # blank = 0, symbols 1..3
feat_dim, T = 6, 14
symbol_feats = torch.randn(n_labels, feat_dim)


def make_utterance(labels):
    frames = []
    for lab in labels:
        dur = torch.randint(2, 4, (1,)).item()
        frames += [symbol_feats[lab]] * dur
        frames += [symbol_feats[0]] * torch.randint(0, 2, (1,)).item()
    frames = torch.stack(frames)
    frames = frames + 0.1 * torch.randn_like(frames)
    return F.pad(frames, (0, 0, 0, T - frames.size(0)), value=0.0), frames.size(0)


label_seqs = [[1, 2, 3], [3, 3, 1], [2, 1], [1, 3, 2], [2, 2], [3, 1, 2]]
utts = [make_utterance(s) for s in label_seqs]
x = torch.stack([u for u, _ in utts], dim=1)     # (T, N, F)
input_lengths = torch.tensor([n for _, n in utts])
targets = torch.cat([torch.tensor(s) for s in label_seqs])
target_lengths = torch.tensor([len(s) for s in label_seqs])
print(x.shape, input_lengths, targets, target_lengths)


class Recognizer(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(feat_dim, 16, bidirectional=True)
        self.out = nn.Linear(32, n_labels)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.out(h).log_softmax(dim=2)


model = Recognizer()
ctc = nn.CTCLoss(blank=0, reduction="mean", zero_infinity=True)
log_probs = model(x)
print(log_probs.shape, f"{ctc(log_probs, targets, input_lengths, target_lengths).item():.4f}")
print(f"{F.ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction='sum').item():.4f}")
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(80):
    loss = ctc(model(x), targets, input_lengths, target_lengths)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 16 == 0:
        print(f"ctc step {step:2d} loss {loss.item():.4f}")


def greedy_ctc(log_probs, lengths):
    best = log_probs.argmax(dim=2).T  # (N, T)
    results = []
    for seq, n in zip(best, lengths):
        seq = torch.unique_consecutive(seq[:n])
        results.append(seq[seq != 0].tolist())
    return results


with torch.no_grad():
    decoded = greedy_ctc(model(x), input_lengths)
print(decoded)
print(sum(d == s for d, s in zip(decoded, label_seqs)), "of", len(label_seqs), "exact")
