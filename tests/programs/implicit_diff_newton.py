"""Newton's method and implicit differentiation with torch.func: a damped Newton solve of a small
nonlinear system with jacfwd and torch.linalg.solve, the implicit-function-theorem gradient of
the solution w.r.t. parameters (jacfwd/jacrev with argnums tuples), checked against unrolled
differentiation, has_aux to return diagnostics, and a bilevel ridge-regression hyperparameter step.

tolerance: rtol=1e-5 atol=1e-7
"""
import torch
from torch.func import grad, grad_and_value, jacfwd, jacrev, vmap

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

n = 4
A = torch.randn(n, n) * 0.3 + 2 * torch.eye(n)
b = torch.randn(n)


def residual(z, theta, bias):
    # F(z, theta) = A z + theta * tanh(z) - bias = 0
    return A @ z + theta * torch.tanh(z) - bias


def newton(theta, bias, iters=20):
    z = torch.zeros(n)
    history = []
    for _ in range(iters):
        J, r = jacfwd(residual, has_aux=False)(z, theta, bias), residual(z, theta, bias)
        step = torch.linalg.solve(J, r)
        z = z - step
        history.append(r.norm().item())
        if history[-1] < 1e-12:
            break
    return z, history


theta = torch.tensor([0.5, -0.3, 0.8, 0.1])
z_star, hist = newton(theta, b)
print("newton iterations", len(hist), "final residual tiny", hist[-1] < 1e-10)
print("residuals", [f"{h:.3e}" for h in hist[:3]])
print("z*", [round(v, 8) for v in z_star.tolist()])

# implicit function theorem: dz/dtheta = -(dF/dz)^-1 dF/dtheta, dz/dbias = (dF/dz)^-1
Jz, Jtheta, Jbias = jacfwd(residual, argnums=(0, 1, 2))(z_star, theta, b)
print("jacobian shapes", tuple(Jz.shape), tuple(Jtheta.shape), tuple(Jbias.shape))
dz_dtheta = -torch.linalg.solve(Jz, Jtheta)
dz_dbias = -torch.linalg.solve(Jz, Jbias)
rz, rtheta = jacrev(residual, argnums=(0, 1))(z_star, theta, b)
print("jacrev agrees", torch.allclose(rz, Jz), torch.allclose(rtheta, Jtheta))


def unrolled(theta, bias):
    z = torch.zeros(n)
    for _ in range(12):
        J = jacrev(residual)(z, theta, bias)
        z = z - torch.linalg.solve(J, residual(z, theta, bias))
    return z


unrolled_jac = jacrev(unrolled, argnums=(0, 1))(theta, b)
print("implicit == unrolled (theta)", torch.allclose(unrolled_jac[0], dz_dtheta, atol=1e-8))
print("implicit == unrolled (bias)", torch.allclose(unrolled_jac[1], dz_dbias, atol=1e-8))
print("dz/dtheta diag", [round(v, 8) for v in dz_dtheta.diagonal().tolist()])


# a loss on the solution, its gradient by the adjoint method, with diagnostics as aux
def outer_loss(theta, bias):
    z, h = newton(theta.detach(), bias.detach())
    loss = (z - 1.0).pow(2).sum()
    return loss, {"iters": len(h), "z": z}


def adjoint_grad(theta, bias):
    (loss, aux) = outer_loss(theta, bias)
    z = aux["z"]
    dl_dz = grad(lambda zz: (zz - 1.0).pow(2).sum())(z)
    Jz, Jth = jacfwd(residual, argnums=(0, 1))(z, theta, bias)
    lam = torch.linalg.solve(Jz.T, dl_dz)
    return -(lam @ Jth), (loss, aux)


g_adj, (loss, aux) = adjoint_grad(theta, b)
print("outer loss", f"{loss.item():.8f}", "iters", aux["iters"])
g_unrolled, val = grad_and_value(lambda t: (unrolled(t, b) - 1.0).pow(2).sum())(theta)
print("adjoint == unrolled", torch.allclose(g_adj, g_unrolled, atol=1e-8), f"{val.item():.8f}")
print("adjoint grad", [round(v, 8) for v in g_adj.tolist()])


def with_aux(z, theta):
    r = residual(z, theta, b)
    return r, r.abs().max()


J_aux, worst = jacfwd(with_aux, has_aux=True)(z_star, theta)
print("has_aux", tuple(J_aux.shape), worst.item() < 1e-10, torch.allclose(J_aux, Jz))
jr = jacrev(lambda z, t: (residual(z, t, b), t.sum()), argnums=1, has_aux=True)(z_star, theta)
print("jacrev has_aux", tuple(jr[0].shape), f"{jr[1].item():.4f}")

# bilevel: ridge regression's closed form inside, validation loss outside, d/d(log lambda)
X = torch.randn(30, 3)
w_true = torch.tensor([1.0, -2.0, 0.5])
Y = X @ w_true + 0.3 * torch.randn(30)
Xv = torch.randn(20, 3)
Yv = Xv @ w_true + 0.3 * torch.randn(20)


def inner(log_lam):
    lam = log_lam.exp()
    return torch.linalg.solve(X.T @ X + lam * torch.eye(3), X.T @ Y)


def val_loss(log_lam):
    return (Xv @ inner(log_lam) - Yv).pow(2).mean()


log_lam = torch.tensor(1.0)
for step in range(5):
    g, v = grad_and_value(val_loss)(log_lam)
    log_lam = log_lam - 2.0 * g
    print("bilevel", step, f"{v.item():.8f}", f"{g.item():.8f}")
print("ridge weights", [round(t, 6) for t in inner(log_lam).tolist()])
# the inner solution's derivative for several lambdas at once (torch 2.13's vmap(jacfwd) of
# linalg.solve gives wrong values here, so jacrev, with jacfwd on one point as a check)
lams = torch.tensor([0.0, 1.0, 2.0])
dw = vmap(jacrev(inner))(lams)
print("jacfwd at one point agrees", torch.allclose(jacfwd(inner)(lams[1]), dw[1]))
print("dw/dloglam", tuple(dw.shape), [round(t, 6) for t in dw[1].tolist()])
