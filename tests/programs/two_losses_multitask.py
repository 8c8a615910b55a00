"""A shared trunk with two heads: summed losses in one backward, then two backward calls with
retain_graph, and a frozen head via detach."""
import torch
import torch.nn as nn

torch.manual_seed(0)
trunk = nn.Linear(4, 8)
head_a, head_b = nn.Linear(8, 1), nn.Linear(8, 3)
params = list(trunk.parameters()) + list(head_a.parameters()) + list(head_b.parameters())
opt = torch.optim.SGD(params, lr=0.1)
X = torch.linspace(-1, 1, 24).reshape(6, 4)
ya = X.sum(1, keepdim=True)
yb = torch.tensor([0, 1, 2, 0, 1, 2])
for step in range(5):
    feats = torch.relu(trunk(X))
    loss_a = nn.functional.mse_loss(head_a(feats), ya)
    loss_b = nn.functional.cross_entropy(head_b(feats), yb)
    opt.zero_grad()
    (loss_a + 0.5 * loss_b).backward()
    opt.step()
    print(step, f"{loss_a.item():.5f} {loss_b.item():.5f}")
feats = torch.relu(trunk(X))
la = head_a(feats).pow(2).mean()
lb = head_b(feats).pow(2).mean()
opt.zero_grad()
la.backward(retain_graph=True)
g1 = trunk.weight.grad.clone()
lb.backward()
print(torch.allclose(trunk.weight.grad, g1), f"{(trunk.weight.grad - g1).abs().sum().item():.5f}")
opt.zero_grad()
head_b(feats.detach()).sum().backward()
print(trunk.weight.grad is None or trunk.weight.grad.abs().sum().item() == 0, head_b.weight.grad.shape)
