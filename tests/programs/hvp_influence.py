"""Influence functions for a small logistic-regression model in float64: Hessian-vector products
three ways (double backward with autograd.grad(create_graph=True), torch.autograd.functional.hvp,
and torch.autograd.functional.hessian as a check), a conjugate-gradient solve of (H + damping I) s
= grad_test using only HVPs, influence scores -grad_train . s for every training point, and a
leave-one-out retraining check that the most influential point moves the test loss as predicted.

tolerance: rtol=1e-5 atol=1e-8
"""
import torch
import torch.nn.functional as F
from torch.autograd.functional import hessian, hvp

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

n, d = 60, 5
X = torch.randn(n, d)
w_true = torch.randn(d)
y = (X @ w_true + 0.5 * torch.randn(n) > 0).double()
x_test = torch.randn(1, d)
y_test = torch.tensor([1.0])
l2 = 1e-2


def loss_fn(w, X, y):
    return F.binary_cross_entropy_with_logits(X @ w, y) + 0.5 * l2 * w.dot(w)


def fit(X, y, steps=50):
    w = torch.zeros(d, requires_grad=True)
    opt = torch.optim.LBFGS([w], lr=1, max_iter=steps, tolerance_grad=1e-12, tolerance_change=1e-14,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = loss_fn(w, X, y)
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach()


w_hat = fit(X, y)
print("w_hat", w_hat)
g = torch.autograd.functional.jacobian(lambda w: loss_fn(w, X, y), w_hat)
print("converged", g.norm().item() < 1e-6)

# HVP by double backward
v = torch.randn(d)
w = w_hat.clone().requires_grad_(True)
(grad,) = torch.autograd.grad(loss_fn(w, X, y), w, create_graph=True)
(hv1,) = torch.autograd.grad(grad @ v, w)
_, hv2 = hvp(lambda w: loss_fn(w, X, y), w_hat, v)
H = hessian(lambda w: loss_fn(w, X, y), w_hat)
print("H shape", H.shape, "symmetric", torch.allclose(H, H.T))
print("hvp double backward", hv1)
print("hvp functional agrees", torch.allclose(hv1, hv2), torch.allclose(hv1, H @ v))
print("eigvals", torch.linalg.eigvalsh(H))


def hvp_fn(vec):
    w = w_hat.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss_fn(w, X, y), w, create_graph=True)
    (hv,) = torch.autograd.grad(g, w, grad_outputs=vec)
    return hv


def conjugate_gradient(Av, b, damping=0.0, iters=20, tol=1e-12):
    x = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rs = r @ r
    for i in range(iters):
        Ap = Av(p) + damping * p
        alpha = rs / (p @ Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = r @ r
        if rs_new.sqrt() < tol:
            return x, i + 1
        p = r + (rs_new / rs) * p
        rs = rs_new
    return x, iters


w = w_hat.clone().requires_grad_(True)
test_loss = F.binary_cross_entropy_with_logits(x_test @ w, y_test)
(g_test,) = torch.autograd.grad(test_loss, w)
s_test, iters = conjugate_gradient(hvp_fn, g_test)
print("cg iterations <= d", iters <= d)
print("s_test", s_test)
print("matches solve", torch.allclose(s_test, torch.linalg.solve(H, g_test)))

# per-example training gradients with a loop, then influence = -g_i . s_test / n
train_grads = []
for i in range(n):
    w = w_hat.clone().requires_grad_(True)
    li = F.binary_cross_entropy_with_logits(X[i] @ w, y[i]) + 0.5 * l2 * w.dot(w)
    train_grads.append(torch.autograd.grad(li, w)[0])
G = torch.stack(train_grads)
influence = -(G @ s_test) / n
print("influence shape", influence.shape)
top = influence.abs().topk(3)
print("most influential", top.indices, influence[top.indices])

# leave-one-out on the most influential point: predicted change of test loss on removal
i = top.indices[0].item()
keep = torch.arange(n) != i
w_loo = fit(X[keep], y[keep])
with torch.no_grad():
    base = F.binary_cross_entropy_with_logits(x_test @ w_hat, y_test)
    after = F.binary_cross_entropy_with_logits(x_test @ w_loo, y_test)
actual = (after - base).item()
predicted = -influence[i].item()
print(f"test loss {base.item():.6f} -> {after.item():.6f}")
print(f"actual change {actual:.6f} predicted {predicted:.6f} same sign {actual * predicted > 0}")
