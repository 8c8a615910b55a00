"""Train/validation split, evaluation under torch.no_grad(), early stopping with patience and the
best weights kept with copy.deepcopy(state_dict()).

tolerance: rtol=1e-3 atol=1e-5
"""
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.linspace(-2, 2, 100).unsqueeze(1)
y = X.pow(3) - X + 0.1 * torch.cos(7 * X)
perm = torch.randperm(100)
train_idx, val_idx = perm[:80], perm[80:]
model = nn.Sequential(nn.Linear(1, 24), nn.Tanh(), nn.Linear(24, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.03)
best_val, best_state, patience, bad_epochs = float("inf"), None, 4, 0
for epoch in range(100):
    model.train()
    loss = nn.functional.mse_loss(model(X[train_idx]), y[train_idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
    model.eval()
    with torch.no_grad():
        val = nn.functional.mse_loss(model(X[val_idx]), y[val_idx]).item()
    if val < best_val - 1e-4:
        best_val, best_state, bad_epochs = val, copy.deepcopy(model.state_dict()), 0
    else:
        bad_epochs += 1
    if epoch % 10 == 0:
        print(f"epoch {epoch} train {loss.item():.4f} val {val:.4f}")
    if bad_epochs >= patience:
        print(f"early stop at epoch {epoch}")
        break
model.load_state_dict(best_state)
with torch.no_grad():
    print(f"best val {best_val:.4f} restored {nn.functional.mse_loss(model(X[val_idx]), y[val_idx]).item():.4f}")
