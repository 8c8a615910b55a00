"""A physics-informed neural network: solve u''(x) = -pi^2 sin(pi x) on [0, 1] with u(0)=u(1)=0 and
the heat equation u_t = k u_xx residual on a 2-D grid, with derivatives from
torch.autograd.grad(create_graph=True), then a few L-BFGS steps with a closure, all in float64.

tolerance: rtol=1e-3 atol=1e-6
"""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)  # L-BFGS on PINNs is usually run in double precision


class MLP(nn.Module):
    def __init__(self, din=1, width=20, depth=3):
        super().__init__()
        layers = [nn.Linear(din, width), nn.Tanh()]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width), nn.Tanh()]
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.net(x)


def derivative(y, x, order=1):
    for _ in range(order):
        y = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y), create_graph=True)[0]
    return y


# --- 1-D Poisson problem ---
model = MLP()
x_col = torch.linspace(0, 1, 50).unsqueeze(1).requires_grad_(True)
x_bc = torch.tensor([[0.0], [1.0]])
u = model(x_col)
u_x = derivative(u, x_col)
u_xx = derivative(u_x, x_col)
print(u.shape, u.dtype, u_x.shape, u_xx.grad_fn is not None, u_xx.requires_grad)

opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for it in range(200):
    u = model(x_col)
    u_xx = derivative(u, x_col, order=2)
    residual = u_xx + math.pi ** 2 * torch.sin(math.pi * x_col)
    loss_pde = residual.pow(2).mean()
    loss_bc = model(x_bc).pow(2).mean()
    loss = loss_pde + 10 * loss_bc
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 40 == 0:
        print(f"adam {it:3d} pde {loss_pde.item():.5f} bc {loss_bc.item():.5f}")

lbfgs = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=20, history_size=10, line_search_fn="strong_wolfe")


def closure():
    lbfgs.zero_grad()
    u = model(x_col)
    residual = derivative(u, x_col, order=2) + math.pi ** 2 * torch.sin(math.pi * x_col)
    loss = residual.pow(2).mean() + 10 * model(x_bc).pow(2).mean()
    loss.backward()
    return loss


for outer in range(3):
    loss = lbfgs.step(closure)
    print(f"lbfgs {outer} loss {loss.item():.6f}")

with torch.no_grad():
    x_test = torch.linspace(0, 1, 11).unsqueeze(1)
    err = (model(x_test) - torch.sin(math.pi * x_test)).abs().max()
    print(f"max error vs sin(pi x): {err.item():.4f}")

# --- 2-D heat equation residual: inputs (x, t) in one tensor ---
k = 0.1
heat = MLP(din=2, width=16, depth=2)
xt = torch.rand(64, 2, requires_grad=True)
u = heat(xt)
grads = torch.autograd.grad(u.sum(), xt, create_graph=True)[0]
u_x, u_t = grads[:, 0:1], grads[:, 1:2]
u_xx = torch.autograd.grad(u_x.sum(), xt, create_graph=True)[0][:, 0:1]
res = u_t - k * u_xx
print(grads.shape, res.shape, f"{res.pow(2).mean().item():.6f}")
opt = torch.optim.Adam(heat.parameters(), lr=5e-3)
x0 = torch.rand(32, 1)
ic = torch.cat([x0, torch.zeros_like(x0)], dim=1)
for it in range(60):
    u = heat(xt)
    g = torch.autograd.grad(u, xt, torch.ones_like(u), create_graph=True)[0]
    u_xx = torch.autograd.grad(g[:, 0], xt, torch.ones_like(g[:, 0]), create_graph=True)[0][:, 0]
    loss = (g[:, 1] - k * u_xx).pow(2).mean() + (heat(ic) - torch.sin(math.pi * x0)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 20 == 0:
        print(f"heat {it:2d} loss {loss.item():.5f}")
print(xt.grad is None, heat.net[0].weight.grad.shape)
