"""torch.autograd.functional end to end: jacobian (tuple inputs and outputs, vectorize=True,
strategy="forward-mode", create_graph=True and a gradient through it, strict=True errors),
hessian (several inputs, outer_jacobian_strategy), vjp/jvp/vhp/hvp with and without v, the
shapes of every nested tuple, and a Newton step for logistic regression built from them.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

torch.manual_seed(0)
torch.set_printoptions(precision=5)


def f(x):
    return torch.stack([x[0] ** 2 * x[1], torch.sin(x[1]) + x[2].exp(), (x * x).sum()])


x = torch.tensor([0.5, -1.0, 0.25])
J = jacobian(f, x)
print(J, J.shape)
print(torch.allclose(J, jacobian(f, x, vectorize=True)), torch.allclose(J, jacobian(f, x, vectorize=True, strategy="forward-mode")))


def two_in_two_out(a, b):
    return a @ b, (a.sum(1) * b.sum(0)).tanh()


a = torch.randn(2, 3)
b = torch.randn(3, 2)
Jt = jacobian(two_in_two_out, (a, b))
print(type(Jt).__name__, len(Jt), [type(r).__name__ for r in Jt])
print([[tuple(j.shape) for j in row] for row in Jt])
print(Jt[1][0])
single_out = jacobian(lambda a, b: (a @ b).sum(), (a, b))
print([tuple(j.shape) for j in single_out], torch.allclose(single_out[0], b.sum(1).expand(2, 3)))

# create_graph=True keeps the jacobian differentiable
w = torch.tensor([1.0, 2.0], requires_grad=True)
Jw = jacobian(lambda w: torch.stack([w[0] * w[1], w[0] ** 3]), w, create_graph=True)
print(Jw, Jw.requires_grad)
Jw.sum().backward()
print(w.grad)

try:
    jacobian(lambda t: torch.ones(2), torch.randn(2), strict=True)
except RuntimeError as e:
    print("strict:", type(e).__name__)
print(jacobian(lambda t: torch.ones(2), torch.randn(2)))


def rosen(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


p = torch.tensor([-1.2, 1.0])
H = hessian(rosen, p)
print(H, torch.allclose(H, H.T))
print(torch.allclose(H, hessian(rosen, p, vectorize=True, outer_jacobian_strategy="forward-mode")))


def energy(q, k):
    return (q ** 2).sum() * k.prod() + (q[0] * k[1]).sin()


q = torch.tensor([0.3, -0.7])
k = torch.tensor([1.5, 0.5])
Hqk = hessian(energy, (q, k))
print([[tuple(h.shape) for h in row] for row in Hqk])
print(Hqk[0][1], Hqk[1][0])

v3 = torch.tensor([1.0, 0.0, -1.0])
out, g = vjp(f, x, v3)
print(out, g, torch.allclose(g, v3 @ J))
out, t = jvp(f, x, v3)
print(t, torch.allclose(t, J @ v3))
val, g_scalar = vjp(rosen, p)
print(val, g_scalar)
v2 = torch.tensor([0.5, 2.0])
val, hv = hvp(rosen, p, v2)
_, vh = vhp(rosen, p, v2)
print(val, hv, vh, torch.allclose(hv, H @ v2))
outs, vjps = vjp(two_in_two_out, (a, b), (torch.ones(2, 2), torch.ones(2)))
print(outs[0].shape, [tuple(g.shape) for g in vjps])

# Newton's method for L2-regularised logistic regression with jacobian and hessian
X = torch.randn(60, 3)
true_w = torch.tensor([1.5, -2.0, 0.5])
Y = (torch.sigmoid(X @ true_w) > torch.rand(60)).float()


def nll(wt):
    logits = X @ wt
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, Y) + 0.01 * (wt ** 2).sum()


wt = torch.zeros(3)
for it in range(5):
    g = jacobian(nll, wt)
    Hn = hessian(nll, wt)
    wt = wt - torch.linalg.solve(Hn, g)
    print(f"newton {it} loss {nll(wt).item():.6f} |grad| {g.norm().item():.3e}")
print(wt)
