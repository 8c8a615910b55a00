"""bfloat16 on the CPU: the dtype itself, and a classifier trained under CPU autocast, the way
recent recipes do it (`torch.autocast("cpu", dtype=torch.bfloat16)`; no GradScaler needed).

tolerance: rtol=2e-2 atol=1e-3
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

x = torch.tensor([1.0, 2.5, -3.125, 1e-3, 300.7])
h = x.to(torch.bfloat16)
print(h, h.dtype, h.element_size(), h.is_floating_point())
print(h * 2, (h + h).sum(), h.float())
print(torch.finfo(torch.bfloat16).eps, torch.finfo(torch.bfloat16).max, torch.finfo(torch.bfloat16).tiny)
print((h + torch.ones(5, dtype=torch.float16)).dtype, (h + 1.5).dtype, (h + torch.ones(5)).dtype)
print(torch.zeros(2, 3, dtype=torch.bfloat16), torch.tensor([0.1], dtype=torch.bfloat16).item())

torch.manual_seed(0)
X = torch.randn(64, 8)
y = (X[:, 0] + X[:, 1] > 0).long()
model = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 2))
opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
for step in range(8):
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        logits = model(X)
        loss = F.cross_entropy(logits, y)
        if step == 0:
            print(logits.dtype, loss.dtype, torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.3f}", model[0].weight.grad.dtype)
with torch.no_grad(), torch.autocast("cpu"):
    acc = (model(X).argmax(1) == y).float().mean()
print("accuracy", f"{acc.item():.2f}")
