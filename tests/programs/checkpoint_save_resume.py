"""Save a training checkpoint (model, optimizer, epoch) with torch.save, resume with torch.load,
and check the resumed run continues exactly like an uninterrupted one."""
import os
import tempfile

import torch
import torch.nn as nn


def make():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


X = torch.linspace(-1, 1, 30).reshape(10, 3)
y = X.sum(1, keepdim=True) ** 2


def train(model, opt, epochs):
    for _ in range(epochs):
        loss = nn.functional.mse_loss(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


model, opt = make()
print("straight", f"{train(model, opt, 10):.6f}")
model, opt = make()
train(model, opt, 5)
path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
torch.save({"epoch": 5, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(),
            "loss": 0.5}, path)
model2, opt2 = make()
checkpoint = torch.load(path, weights_only=True)
model2.load_state_dict(checkpoint["model_state_dict"])
opt2.load_state_dict(checkpoint["optimizer_state_dict"])
print("resumed at", checkpoint["epoch"], checkpoint["loss"])
print("resumed", f"{train(model2, opt2, 5):.6f}")
group = checkpoint["optimizer_state_dict"]["param_groups"][0]
print(group["lr"], group["betas"], group["params"])
print(list(checkpoint["optimizer_state_dict"]["state"][0].keys()))
torch.save(model2.state_dict(), path)
state = torch.load(path)
print(list(state.keys()), state["0.weight"].shape)
os.remove(path)
