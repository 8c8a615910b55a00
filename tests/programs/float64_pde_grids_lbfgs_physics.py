"""Scientific computing with torch.set_default_dtype(torch.float64): default dtypes and promotion,
meshgrid ij/xy grids, torch.gradient over 2-D fields with coordinate spacings, nested trapezoid
integration, a periodic Burgers finite-difference solver with torch.roll, and fitting a damped
oscillator's physical parameters with LBFGS (strong Wolfe and plain) and Adam with ExponentialLR."""
import math
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
print(torch.tensor([1.0, 2.0]), torch.tensor([1.0], dtype=torch.float32), torch.tensor(3).dtype)
print(torch.arange(3.0).dtype, torch.linspace(0, 1, 3), torch.zeros(2, dtype=torch.float32))
print(torch.tensor(1.5, dtype=torch.float16), torch.randn(2).dtype, torch.rand(2, dtype=torch.float32).dtype)
print(torch.get_default_dtype(), torch.finfo().eps, torch.finfo(torch.float32).eps, torch.finfo().tiny)
print(nn.Linear(2, 2).weight.dtype, torch.full((2,), 1.0).dtype, torch.full((2,), 1).dtype)
print(torch.tensor(math.pi), torch.as_tensor([1, 2]).dtype, torch.from_numpy(__import__('numpy').ones(2, dtype='float32')).dtype)
print(torch.empty(0).dtype, torch.ones(2).to(torch.float32).double().dtype, (torch.ones(2, dtype=torch.float32) * 2.5).dtype)
print((torch.ones(2, dtype=torch.float32) + torch.ones(2)).dtype, (torch.arange(3) / 2).dtype, torch.arange(3).mean(dtype=torch.float64))
print(torch.tensor([1.0], dtype=torch.float32) * torch.tensor(2.0), torch.tensor(2) ** -1.0)

# torch.gradient / diff / trapezoid in 2D
torch.manual_seed(0)
nx, ny = 11, 7
xs = torch.linspace(0, 1, nx)
ys = torch.linspace(0, 2, ny)
X, Y = torch.meshgrid(xs, ys, indexing='ij')
Xx, Yx = torch.meshgrid(xs, ys, indexing='xy')
print(X.shape, Xx.shape)
U = torch.sin(math.pi * X) * torch.cos(Y)
dUdx, dUdy = torch.gradient(U, spacing=(xs, ys))
print(f"{(dUdx - math.pi * torch.cos(math.pi * X) * torch.cos(Y)).abs().max().item():.4f}")
print(f"{(dUdy + torch.sin(math.pi * X) * torch.sin(Y)).abs().max().item():.4f}")
gx, = torch.gradient(U, spacing=0.1, dim=0, edge_order=2)
print(gx[0, :3])
gy, = torch.gradient(U, dim=1)
print(gy[0, :3])
g2 = torch.gradient(U, spacing=[0.1, 1 / 3])
print(len(g2), g2[1][1, :2])
integral = torch.trapezoid(torch.trapezoid(U, ys, dim=1), xs)
print(f"{integral.item():.6f}")
print(torch.trapezoid(U, dx=0.1, dim=0).shape, torch.cumulative_trapezoid(U, dx=0.5, dim=1).shape)
print(torch.diff(U, dim=1).shape, torch.diff(U, n=2, dim=0, append=U[-1:]).shape)
print(torch.diff(torch.tensor([1, 4, 9, 16])), torch.diff(torch.tensor([True, False, False])))
lap = torch.zeros_like(U)
lap[1:-1, 1:-1] = (U[2:, 1:-1] - 2 * U[1:-1, 1:-1] + U[:-2, 1:-1]) / 0.1 ** 2
print(f"{lap.abs().max().item():.4f}")

# Burgers finite differences, upwind, torch.roll for periodic BCs
torch.manual_seed(1)
N = 64
x = torch.linspace(0, 2 * math.pi, N + 1)[:-1]
dx = x[1] - x[0]
u = torch.sin(x) + 0.5
nu = 0.05
dt = 0.01
for step in range(100):
    ux = (u - torch.roll(u, 1)) / dx
    uxx = (torch.roll(u, -1) - 2 * u + torch.roll(u, 1)) / dx ** 2
    u = u - dt * u * ux + dt * nu * uxx
print(f"burgers {u.mean().item():.6f} {u.max().item():.6f} {u.min().item():.6f}")
print(torch.roll(torch.arange(6).reshape(2, 3), shifts=(1, 1), dims=(0, 1)))
E = 0.5 * (u ** 2).sum() * dx
print(f"energy {E.item():.6f}")

# LBFGS on physical parameters (damped oscillator)
torch.manual_seed(2)
t = torch.linspace(0, 5, 100)
k_true, c_true = 4.0, 0.3
obs = torch.exp(-c_true * t) * torch.cos(math.sqrt(k_true) * t) + 0.01 * torch.randn(100)
params = torch.tensor([1.5, 0.1], requires_grad=True)
opt = torch.optim.LBFGS([params], lr=0.5, max_iter=50, line_search_fn="strong_wolfe", tolerance_change=1e-12)
def closure():
    opt.zero_grad()
    k, c = params
    pred = torch.exp(-c * t) * torch.cos(torch.sqrt(k) * t)
    loss = ((pred - obs) ** 2).mean()
    loss.backward()
    return loss
for i in range(3):
    loss = opt.step(closure)
    print(f"step {i}: loss={loss.item():.6f} k={params[0].item():.4f} c={params[1].item():.4f}")
print(opt.state[params]['func_evals'], opt.state[params]['n_iter'])
params2 = torch.tensor([1.5, 0.1], requires_grad=True)
opt = torch.optim.LBFGS([params2], lr=0.1, max_iter=5)
def closure2():
    opt.zero_grad()
    k, c = params2
    loss = ((torch.exp(-c * t) * torch.cos(torch.sqrt(k) * t) - obs) ** 2).mean()
    loss.backward()
    return loss
for i in range(3):
    print(f"plain {opt.step(closure2).item():.6f}")
print(params2)

# Adam with scheduler, clamp of physical params
torch.manual_seed(3)
log_k = torch.zeros((), requires_grad=True)
opt = torch.optim.Adam([log_k], lr=0.1)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)
for i in range(60):
    opt.zero_grad()
    k = log_k.exp()
    pred = torch.exp(-c_true * t) * torch.cos(k.sqrt() * t)
    loss = ((pred - obs) ** 2).mean()
    loss.backward()
    opt.step()
    sched.step()
print(f"adam k={log_k.exp().item():.4f} lr={sched.get_last_lr()[0]:.6f}")
with torch.no_grad():
    log_k.clamp_(min=-1, max=1)
print(log_k, log_k.grad)
