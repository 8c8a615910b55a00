"""Knowledge distillation: a frozen teacher, a student trained on soft targets (KL divergence with
temperature) plus the hard-label loss.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
X = torch.linspace(-3, 3, 120).reshape(40, 3)
y = (X[:, 0] + X[:, 1] > 0).long() + (X[:, 2] > 1).long()
teacher = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 3))
opt_t = torch.optim.Adam(teacher.parameters(), lr=0.02)
for _ in range(60):
    loss = F.cross_entropy(teacher(X), y)
    opt_t.zero_grad()
    loss.backward()
    opt_t.step()
print(f"teacher loss {loss.item():.4f}")
teacher.eval()
for p in teacher.parameters():
    p.requires_grad = False
student = nn.Linear(3, 3)
opt = torch.optim.SGD(student.parameters(), lr=0.2)
T, alpha = 2.0, 0.7
for epoch in range(30):
    with torch.no_grad():
        soft_targets = F.softmax(teacher(X) / T, dim=1)
    logits = student(X)
    distill = F.kl_div(F.log_softmax(logits / T, dim=1), soft_targets, reduction="batchmean") * T * T
    loss = alpha * distill + (1 - alpha) * F.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f} distill {distill.item():.4f}")
acc = (student(X).argmax(1) == y).float().mean()
print(f"student accuracy {acc.item():.3f}")
