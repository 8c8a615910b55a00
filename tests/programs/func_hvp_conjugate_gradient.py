"""Influence functions with torch.func on a small MLP classifier: Hessian-vector products three
ways (forward-over-reverse jvp(grad(f)), reverse-over-reverse vjp of grad, and the full hessian
of the flattened parameters), a conjugate-gradient solve of (H + damping I) s = grad_test with
those products, per-example training gradients by vmap(grad), and influence scores.

tolerance: rtol=1e-4 atol=1e-6
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, hessian, jvp, vjp, vmap

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

n, d, h, c = 40, 4, 6, 3
X = torch.randn(n, d)
y = (X[:, 0] + 0.5 * X[:, 1] > 0).long() + (X[:, 2] > 1).long()
x_test, y_test = torch.randn(2, d), torch.tensor([0, 2])
model = nn.Sequential(nn.Linear(d, h), nn.Tanh(), nn.Linear(h, c))
opt = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=40)


def closure():
    opt.zero_grad()
    loss = F.cross_entropy(model(X), y) + 1e-3 * sum(p.pow(2).sum() for p in model.parameters())
    loss.backward()
    return loss


for _ in range(3):
    opt.step(closure)
print("trained loss", f"{closure().item():.6f}")

params = {k: v.detach() for k, v in model.named_parameters()}
names = list(params)
shapes = [params[k].shape for k in names]
sizes = [params[k].numel() for k in names]
print("parameters", sum(sizes), [tuple(s) for s in shapes])


def flatten(tree):
    return torch.cat([tree[k].reshape(-1) for k in names])


def unflatten(vec):
    return {k: chunk.view(s) for k, chunk, s in zip(names, vec.split(sizes), shapes)}


def train_loss(p):
    logits = functional_call(model, p, (X,))
    reg = sum(v.pow(2).sum() for v in p.values())
    return F.cross_entropy(logits, y) + 1e-3 * reg


def hvp_fwd(v):
    return jvp(grad(train_loss), (params,), (v,))[1]


def hvp_rev(v):
    _, pullback = vjp(grad(train_loss), params)
    return pullback(v)[0]


g_full = grad(train_loss)(params)
print("gradient norm at optimum small", flatten(g_full).norm().item() < 1e-3)
v = unflatten(torch.randn(sum(sizes)))
a, b = flatten(hvp_fwd(v)), flatten(hvp_rev(v))
H = hessian(lambda flat: train_loss(unflatten(flat)))(flatten(params))
print("hessian", tuple(H.shape), "symmetric", torch.allclose(H, H.T, atol=1e-10))
print("hvp fwd vs rev", torch.allclose(a, b, atol=1e-10), "vs dense", torch.allclose(a, H @ flatten(v), atol=1e-10))
print("hvp", [round(t, 6) for t in a[:6].tolist()])
evals = torch.linalg.eigvalsh(H)
print("hessian eigenvalues: min", f"{evals.min().item():.6f}", "max", f"{evals.max().item():.6f}")
# many HVPs at once: vmap over the products
basis = torch.eye(sum(sizes))[:5]
rows = vmap(lambda e: flatten(hvp_fwd(unflatten(e))))(basis)
print("vmapped hvp rows match hessian", tuple(rows.shape), torch.allclose(rows, H[:5], atol=1e-10))


def cg(matvec, b, iters=100, tol=1e-10):
    x = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rs = r @ r
    for i in range(iters):
        Ap = matvec(p)
        alpha = rs / (p @ Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = r @ r
        if rs_new.sqrt() < tol:
            return x, i + 1
        p = r + (rs_new / rs) * p
        rs = rs_new
    return x, iters


damping = 0.01


def damped(vec):
    return flatten(hvp_fwd(unflatten(vec))) + damping * vec


def test_loss(p):
    return F.cross_entropy(functional_call(model, p, (x_test,)), y_test)


g_test = flatten(grad(test_loss)(params))
s, steps = cg(damped, g_test)
direct = torch.linalg.solve(H + damping * torch.eye(len(H)), g_test)
print("cg converged", steps < 100, "matches solve", torch.allclose(s, direct, atol=1e-6))
print("s", [round(t, 5) for t in s[:5].tolist()], f"{s.norm().item():.5f}")


def example_loss(p, xi, yi):
    return F.cross_entropy(functional_call(model, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))


per_example = vmap(grad(example_loss), in_dims=(None, 0, 0))(params, X, y)
G = torch.cat([per_example[k].reshape(n, -1) for k in names], dim=1)
print("per-example gradients", tuple(G.shape), torch.allclose(G.mean(0) + 2e-3 * flatten(params), flatten(g_full), atol=1e-10))
influence = -(G @ s) / n
order = influence.argsort()
print("most helpful", order[:3].tolist(), "most harmful", order[-3:].tolist())
print("influence", [round(t, 6) for t in influence[order[:3]].tolist()], [round(t, 6) for t in influence[order[-3:]].tolist()])
print("self-influence top", (G * torch.linalg.solve(H + damping * torch.eye(len(H)), G.T).T).sum(1).topk(3).indices.tolist())
