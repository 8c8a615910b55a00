"""Multi-label classification with imbalanced labels: BCEWithLogitsLoss(pos_weight=neg/pos)
computed from label frequencies, a comparison with the unweighted loss and with a hand-written
weighted BCE, per-class thresholds tuned on a validation split, and per-class precision, recall
and F1 plus micro/macro averages computed with tensor ops.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
N_FEAT, N_LABELS = 12, 5

W_true = torch.randn(N_FEAT, N_LABELS)
bias_true = torch.tensor([0.5, -0.5, -1.5, -2.5, -3.0])  # increasingly rare labels


def make_split(n):
    x = torch.randn(n, N_FEAT)
    y = (x @ W_true * 0.8 + bias_true + 0.5 * torch.randn(n, N_LABELS) > 0).float()
    return x, y


x_tr, y_tr = make_split(400)
x_va, y_va = make_split(200)
x_te, y_te = make_split(200)
pos = y_tr.sum(0)
neg = len(y_tr) - pos
pos_weight = neg / pos.clamp(min=1)
print("label counts", pos.int().tolist(), "pos_weight", pos_weight.round(decimals=2))

# the weighted loss written out by hand agrees with the library's
logits = torch.randn(6, N_LABELS)
lib = F.binary_cross_entropy_with_logits(logits, y_tr[:6], pos_weight=pos_weight)
manual = -(pos_weight * y_tr[:6] * F.logsigmoid(logits) + (1 - y_tr[:6]) * F.logsigmoid(-logits)).mean()
print(f"{lib.item():.5f} {manual.item():.5f}")
print(nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")(logits, y_tr[:6]).shape)


def f1_report(pred, y):
    tp = (pred * y).sum(0)
    fp = (pred * (1 - y)).sum(0)
    fn = ((1 - pred) * y).sum(0)
    precision = tp / (tp + fp).clamp(min=1)
    recall = tp / (tp + fn).clamp(min=1)
    f1 = torch.where(precision + recall > 0, 2 * precision * recall / (precision + recall), torch.zeros_like(tp))
    micro = 2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum())
    return precision, recall, f1, micro.item(), f1.mean().item()


def train(weighted):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(N_FEAT, 32), nn.ReLU(), nn.Linear(32, N_LABELS))
    criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight if weighted else None)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(60):
        perm = torch.randperm(400)
        for i in range(0, 400, 50):
            idx = perm[i:i + 50]
            loss = criterion(model(x_tr[idx]), y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model, loss.item()


for weighted in (False, True):
    model, last = train(weighted)
    with torch.no_grad():
        probs = torch.sigmoid(model(x_te))
    p, r, f1, micro, macro = f1_report((probs > 0.5).float(), y_te)
    print(f"weighted={weighted} last loss {last:.4f} micro-F1 {micro:.3f} macro-F1 {macro:.3f}")
    print("  recall", r.round(decimals=2), "f1", f1.round(decimals=2))

# tune one threshold per class on the validation split (with the unweighted model)
model, _ = train(False)
with torch.no_grad():
    va_probs = torch.sigmoid(model(x_va))
    te_probs = torch.sigmoid(model(x_te))
candidates = torch.linspace(0.05, 0.95, 19)
scores = torch.stack([f1_report((va_probs > t).float(), y_va)[2] for t in candidates])  # 19, L
best = scores.argmax(0)
thresholds = candidates[best]
print("thresholds", thresholds.round(decimals=2), scores.max(0).values.round(decimals=2))
p, r, f1, micro, macro = f1_report((te_probs > thresholds).float(), y_te)
print(f"tuned micro-F1 {micro:.3f} macro-F1 {macro:.3f}")
print("exact-match ratio", f"{((te_probs > thresholds).float() == y_te).all(1).float().mean().item():.3f}",
      "hamming", f"{((te_probs > thresholds).float() != y_te).float().mean().item():.4f}")
