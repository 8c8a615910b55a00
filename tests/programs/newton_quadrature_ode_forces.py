"""Scientific computing: Newton's method with autograd.functional jacobian/hessian, bisection and
autograd Newton root finding, trapezoid/cumulative_trapezoid/Simpson integration, Monte Carlo with
torch.rand, Euler and RK4 integration of an oscillator, and particle forces from autograd.grad of
a pairwise energy (pdist, triu_indices)."""
import math
import torch
from torch.autograd.functional import hessian, jacobian

# Newton's method
def f(x):
    return (1 - x[0])**2 + 5 * (x[1] - x[0]**2)**2
x = torch.tensor([-1.0, 1.5], dtype=torch.float64)
for i in range(8):
    g = jacobian(f, x)
    H = hessian(f, x)
    x = x - torch.linalg.solve(H, g)
    print(i, x, f"{f(x).item():.3e}")
print(hessian(f, x, create_graph=False, strict=False, vectorize=True).dtype)
print(jacobian(lambda a, b: a * b, (torch.ones(2), torch.arange(2.))))
# root finding: bisection & newton with autograd
def g(x):
    return x**3 - 2*x - 5
lo, hi = torch.tensor(2.0), torch.tensor(3.0)
for _ in range(30):
    mid = (lo + hi) / 2
    if g(mid) * g(lo) < 0:
        hi = mid
    else:
        lo = mid
print(f"{mid.item():.6f}")
r = torch.tensor(2.0, requires_grad=True)
for _ in range(6):
    y = g(r)
    dy, = torch.autograd.grad(y, r)
    with torch.no_grad():
        r -= y / dy
print(r, f"{r.item():.6f}")
# numerical integration
xs = torch.linspace(0, math.pi, 101)
print(torch.trapezoid(torch.sin(xs), xs), torch.trapz(torch.sin(xs), xs), torch.trapezoid(torch.sin(xs), dx=xs[1]-xs[0]))
print(torch.cumulative_trapezoid(torch.sin(xs), xs)[-3:])
print(torch.trapezoid(torch.ones(3, 4), dim=0), torch.trapezoid(torch.ones(3, 4), dx=0.5))
# simpson by hand
h = xs[1] - xs[0]
yv = torch.sin(xs)
simp = h / 3 * (yv[0] + yv[-1] + 4 * yv[1:-1:2].sum() + 2 * yv[2:-1:2].sum())
print(f"{simp.item():.8f}")
# Monte Carlo
torch.manual_seed(0)
pts = torch.rand(100000, 2)
inside = (pts.pow(2).sum(1) <= 1).float()
print(f"pi ~ {4 * inside.mean().item():.5f}", inside.std().item())
torch.manual_seed(0)
u = torch.rand(10000, dtype=torch.float64)
print(f"{torch.exp(-u**2).mean().item():.6f}")
print(torch.rand(3, generator=torch.Generator().manual_seed(5)))
z = torch.randn(10000, dtype=torch.float64)
print(f"{z.mean():.5f} {z.std():.5f}")
print(torch.empty(5).uniform_(-1, 1).dtype, torch.empty(3).normal_(2, 0.5).shape)
# ODE: Euler & RK4 on damped oscillator
def deriv(t, s):
    x, v = s[0], s[1]
    return torch.stack([v, -x - 0.1 * v])
s = torch.tensor([1.0, 0.0])
t = 0.0
dt = 0.01
for i in range(1000):
    s = s + dt * deriv(t, s)
    t += dt
print("euler", s)
s = torch.tensor([1.0, 0.0])
t = 0.0
for i in range(1000):
    k1 = deriv(t, s)
    k2 = deriv(t + dt/2, s + dt/2*k1)
    k3 = deriv(t + dt/2, s + dt/2*k2)
    k4 = deriv(t + dt, s + dt*k3)
    s = s + dt/6*(k1 + 2*k2 + 2*k3 + k4)
    t += dt
print("rk4", s)
# physics: autograd forces
torch.manual_seed(0)
pos = torch.randn(8, 3, dtype=torch.float64)
vel = torch.zeros_like(pos)
def energy(p):
    d = torch.pdist(p)
    return (4 * ((1 / d)**12 - (1 / d)**6)).sum()
def energy2(p):
    diff = p[:, None] - p[None]
    r = diff.norm(dim=-1) + torch.eye(p.shape[0], dtype=p.dtype)
    iu = torch.triu_indices(p.shape[0], p.shape[0], 1)
    rr = r[iu[0], iu[1]]
    return (1/rr).sum()
for step in range(50):
    p = pos.clone().requires_grad_(True)
    E = energy2(p)
    F, = torch.autograd.grad(E, p)
    vel = vel - 0.001 * F
    pos = pos + 0.001 * vel
print(f"{E.item():.6f}", pos[0])
print(f"{energy(pos).item():.4e}", torch.pdist(pos).shape, torch.pdist(pos, p=1)[:3])
