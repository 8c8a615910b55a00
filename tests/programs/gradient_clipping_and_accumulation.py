"""Gradient accumulation over micro-batches with clip_grad_norm_ / clip_grad_value_, and a
no_grad evaluation loop."""
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 10), nn.GELU(), nn.Linear(10, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
X = torch.linspace(-2, 2, 80).reshape(16, 5)
y = torch.sin(X).sum(1, keepdim=True)
accum = 4
for epoch in range(3):
    opt.zero_grad()
    for i, (xb, yb) in enumerate(zip(X.split(4), y.split(4))):
        loss = nn.functional.mse_loss(model(xb), yb) / accum
        loss.backward()
        if (i + 1) % accum == 0:
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.2)
            opt.step()
            opt.zero_grad()
            print(f"epoch {epoch} total grad norm before clipping {norm.item():.5f}")
    model.eval()
    with torch.no_grad():
        val = nn.functional.mse_loss(model(X), y)
    model.train()
    print(f"epoch {epoch} val loss {val.item():.5f}")
print(all(p.grad is None or p.grad.abs().sum() == 0 for p in model.parameters()))
