"""A Hamiltonian neural network (Greydanus et al.) on a harmonic oscillator: an MLP H(q, p), the
vector field (dH/dp, -dH/dq) from torch.autograd.grad(H.sum(), x, create_graph=True) so that the
training loss on observed time derivatives backpropagates through the gradient, Adam training, and
a leapfrog rollout of the learned dynamics compared with the true one, with energy drift.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn

torch.manual_seed(0)


def true_field(x):
    q, p = x[:, :1], x[:, 1:]
    return torch.cat([p, -q], dim=1)  # H = (q^2 + p^2) / 2


class HNN(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                 nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)

    def time_derivative(self, x, create_graph=True):
        if not x.requires_grad:
            x = x.requires_grad_(True)
        H = self(x)
        dH = torch.autograd.grad(H.sum(), x, create_graph=create_graph)[0]
        dHdq, dHdp = dH[:, :1], dH[:, 1:]
        return torch.cat([dHdp, -dHdq], dim=1)


r = torch.rand(256, 1) * 0.8 + 0.2
theta = torch.rand(256, 1) * 2 * torch.pi
X = torch.cat([r * torch.cos(theta), r * torch.sin(theta)], dim=1)
dX = true_field(X) + 0.01 * torch.randn_like(X)
print("data", tuple(X.shape), tuple(dX.shape))

model = HNN()
field = model.time_derivative(X[:4].clone())
print("field shape", tuple(field.shape), "requires_grad", field.requires_grad, field.grad_fn is not None)

opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(150):
    idx = torch.randperm(256)[:64]
    x = X[idx].clone().requires_grad_(True)
    pred = model.time_derivative(x)
    loss = (pred - dX[idx]).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    if step % 30 == 0:
        print(f"step {step:3d} loss {loss.item():.6f} grad-norm {model.net[0].weight.grad.norm().item():.6f}")
    opt.step()

test = X[:128].clone().requires_grad_(True)
err = (model.time_derivative(test, create_graph=False) - true_field(test.detach())).pow(2).mean()
print(f"test field mse {err.item():.6f}")


def leapfrog(field_fn, x0, dt, steps):
    traj = [x0]
    x = x0
    for _ in range(steps):
        q, p = x[:, :1], x[:, 1:]
        p_half = p + 0.5 * dt * field_fn(torch.cat([q, p], 1))[:, 1:]
        q_new = q + dt * field_fn(torch.cat([q, p_half], 1))[:, :1]
        p_new = p_half + 0.5 * dt * field_fn(torch.cat([q_new, p_half], 1))[:, 1:]
        x = torch.cat([q_new, p_new], 1)
        traj.append(x)
    return torch.stack(traj)


def learned(x):
    return model.time_derivative(x.detach().clone(), create_graph=False).detach()


x0 = torch.tensor([[0.6, 0.0]])
true_traj = leapfrog(true_field, x0, 0.1, 30)
hnn_traj = leapfrog(learned, x0, 0.1, 30)
print("trajectory", tuple(hnn_traj.shape))
print("true end", true_traj[-1], "hnn end", hnn_traj[-1])
energy = 0.5 * hnn_traj.pow(2).sum(-1).squeeze(-1)
print(f"true-energy drift along hnn rollout {(energy.max() - energy.min()).item():.6f}")
with torch.no_grad():
    Hs = model(hnn_traj.squeeze(1))
print(f"learned-H drift {(Hs.max() - Hs.min()).item():.6f}")
