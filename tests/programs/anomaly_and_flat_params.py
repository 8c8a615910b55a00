"""Debugging NaNs and working with flat parameter vectors, as training-loop code does:
torch.autograd.detect_anomaly() / set_detect_anomaly naming the backward node that produced NaN
(and check_nan=False), is_anomaly_enabled, a NaN-guarded training step that skips non-finite
losses, clip_grad_norm_ with error_if_nonfinite, get_total_norm / clip_grads_with_norm_,
clip_grad_value_; parameters_to_vector / vector_to_parameters used for a weight-space
interpolation between two trained models, for an evolution-strategies optimizer with antithetic
sampling, and for a sharpness-aware-minimisation (SAM) step written with flat vectors.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters

torch.manual_seed(0)

# ---- anomaly detection -------------------------------------------------------------------------
print("anomaly enabled at start", torch.is_anomaly_enabled())
x = torch.tensor([0.0, 1.0, 4.0], requires_grad=True)
with torch.autograd.detect_anomaly():
    print("inside detect_anomaly", torch.is_anomaly_enabled())
    y = (x.sqrt() * torch.tensor([0.0, 1.0, 1.0])).sum()
    try:
        y.backward()
    except RuntimeError as e:
        print("RuntimeError:", e)
print("after the block", torch.is_anomaly_enabled())

x.grad = None
y = (x.sqrt() * torch.tensor([0.0, 1.0, 1.0])).sum()
y.backward()
print("without anomaly mode the NaN slips through", x.grad)

torch.autograd.set_detect_anomaly(True)
print("set_detect_anomaly(True)", torch.is_anomaly_enabled())
w = torch.tensor([1.0, -1.0], requires_grad=True)
try:
    torch.log(w).sum().backward()  # log of a negative number: NaN already in the forward
    print("log backward ran, grad", w.grad)
except RuntimeError as e:
    print("RuntimeError:", e)
z = torch.tensor([2.0, 0.0], requires_grad=True)
try:
    (z / z).sum().backward()  # 0/0 in forward and a NaN gradient
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])
torch.autograd.set_detect_anomaly(False)
print("set_detect_anomaly(False)", torch.is_anomaly_enabled())

z.grad = None
with torch.autograd.detect_anomaly(check_nan=False):
    (z / z).sum().backward()
    print("check_nan=False grad", z.grad)

# ---- a NaN-guarded training loop ---------------------------------------------------------------
X = torch.randn(32, 4)
y = X @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1 * torch.randn(32)
model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
skipped = 0
for step in range(12):
    pred = model(X).squeeze(1)
    loss = F.mse_loss(pred, y)
    if step in (3, 7):
        loss = loss * float("nan")  # a poisoned batch
    if not torch.isfinite(loss):
        skipped += 1
        print(f"step {step}: non-finite loss {loss.item()}, skipped")
        continue
    opt.zero_grad()
    loss.backward()
    total = clip_grad_norm_(model.parameters(), max_norm=5.0)
    opt.step()
    if step % 4 == 0:
        print(f"step {step}: loss {loss.item():.4f} grad norm {total.item():.4f}")
print("skipped", skipped)

opt.zero_grad()
F.mse_loss(model(X).squeeze(1), y).backward()
model[0].weight.grad[0, 0] = float("inf")
try:
    clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
except RuntimeError as e:
    print("RuntimeError:", e)
norm = clip_grad_norm_(model.parameters(), 1.0)
print("non-finite norm without the check", norm, "grad has nan", torch.isnan(model[0].weight.grad).any().item())

opt.zero_grad()
F.mse_loss(model(X).squeeze(1), y).backward()
grads = [p.grad for p in model.parameters()]
total = torch.nn.utils.get_total_norm(grads, norm_type=2.0)
print("get_total_norm", f"{total.item():.5f}", "inf-norm", f"{torch.nn.utils.get_total_norm(grads, math.inf).item():.5f}")
torch.nn.utils.clip_grads_with_norm_(model.parameters(), max_norm=0.5, total_norm=total)
print("after clip_grads_with_norm_", f"{torch.nn.utils.get_total_norm(grads).item():.5f}")
clip_grad_value_(model.parameters(), clip_value=0.01)
print("clip_grad_value_ max", model[0].weight.grad.abs().max().item(), "bias", model[2].bias.grad)

# ---- flat parameter vectors --------------------------------------------------------------------
vec = parameters_to_vector(model.parameters())
print("flat vector", vec.shape, vec.dtype, "requires_grad", vec.requires_grad, "grad_fn", vec.grad_fn.name())
print("numel matches", vec.numel() == sum(p.numel() for p in model.parameters()))
vector_to_parameters(torch.zeros_like(vec), model.parameters())
print("after zeroing", model[0].weight.abs().sum().item(), model[2].bias)
print("parameters stay leaves", all(p.is_leaf for p in model.parameters()))
try:
    vector_to_parameters(vec[:-1].detach(), model.parameters())
except RuntimeError as e:
    print("RuntimeError: short vector:", str(e)[:40])
try:
    parameters_to_vector(model[0].weight)
except TypeError as e:
    print("TypeError:", e)


def fresh(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))


def train(model, steps=60, lr=0.05):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for _ in range(steps):
        loss = F.mse_loss(model(X).squeeze(1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


m1, m2 = fresh(1), fresh(2)
print("trained", f"{train(m1):.4f}", f"{train(m2):.4f}")
v1 = parameters_to_vector(m1.parameters()).detach()
v2 = parameters_to_vector(m2.parameters()).detach()
probe = fresh(3)
with torch.no_grad():
    for t in torch.linspace(0, 1, 5):
        vector_to_parameters((1 - t) * v1 + t * v2, probe.parameters())
        print(f"interpolation t={t.item():.2f} loss {F.mse_loss(probe(X).squeeze(1), y).item():.4f}")
print("distance between solutions", f"{(v1 - v2).norm().item():.4f}")

# ---- evolution strategies on the flat vector -------------------------------------------------
es_model = fresh(4)
theta = parameters_to_vector(es_model.parameters()).detach().clone()
gen = torch.Generator().manual_seed(5)
sigma, lr, pop = 0.05, 0.03, 16


@torch.no_grad()
def fitness(vector):
    vector_to_parameters(vector, es_model.parameters())
    return -F.mse_loss(es_model(X).squeeze(1), y)


for it in range(25):
    eps = torch.randn(pop, theta.numel(), generator=gen)
    f_pos = torch.stack([fitness(theta + sigma * e) for e in eps])
    f_neg = torch.stack([fitness(theta - sigma * e) for e in eps])
    grad = ((f_pos - f_neg).unsqueeze(1) * eps).mean(0) / (2 * sigma)
    theta = theta + lr * grad
    if it % 8 == 0 or it == 24:
        print(f"ES iter {it:2d} fitness {fitness(theta).item():.4f} step norm {(lr * grad).norm().item():.4f}")

# ---- SAM with flat vectors ---------------------------------------------------------------------
sam_model = fresh(6)
base = torch.optim.SGD(sam_model.parameters(), lr=0.05)
rho = 0.05
params = list(sam_model.parameters())
for step in range(20):
    loss = F.mse_loss(sam_model(X).squeeze(1), y)
    base.zero_grad()
    loss.backward()
    g = parameters_to_vector([p.grad for p in params])
    e_w = rho * g / (g.norm() + 1e-12)
    w0 = parameters_to_vector(params).detach().clone()
    with torch.no_grad():
        vector_to_parameters(w0 + e_w, params)
    sharp_loss = F.mse_loss(sam_model(X).squeeze(1), y)
    base.zero_grad()
    sharp_loss.backward()
    with torch.no_grad():
        vector_to_parameters(w0, params)
    base.step()
    if step % 5 == 0 or step == 19:
        print(f"SAM step {step:2d} loss {loss.item():.4f} perturbed {sharp_loss.item():.4f} "
              f"sharpness {(sharp_loss - loss).item():.5f}")
