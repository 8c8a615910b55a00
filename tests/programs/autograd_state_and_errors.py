"""Grad-mode and autograd state as training code meets it: no_grad / enable_grad /
set_grad_enabled / inference_mode as context managers and decorators, is_grad_enabled and
is_inference_mode_enabled, requires_grad_ on leaves, detach vs detach_, retain_grad, the warning
for reading .grad of a non-leaf, the errors for an in-place change of a saved tensor, an in-place
op on a leaf that requires grad, a second backward without retain_graph, grad accumulation across
two backward calls, and torch.autograd.grad with allow_unused / materialize_grads."""
import warnings

import torch
import torch.nn as nn


def first_line(e):
    return str(e).split("\n")[0]


print(torch.is_grad_enabled(), torch.is_inference_mode_enabled())
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
with torch.no_grad():
    print(torch.is_grad_enabled(), (x * 2).requires_grad)
    with torch.enable_grad():
        print(torch.is_grad_enabled(), (x * 2).requires_grad, (x * 2).grad_fn.name())
    y = x * 3
print(y.requires_grad, y.grad_fn, torch.is_grad_enabled())
with torch.set_grad_enabled(False):
    print((x + 1).requires_grad)
torch.set_grad_enabled(False)
print(torch.is_grad_enabled(), (x + 1).requires_grad)
torch.set_grad_enabled(True)
print(torch.is_grad_enabled(), (x + 1).requires_grad)
for mode in (True, False):
    with torch.set_grad_enabled(mode):
        print("set_grad_enabled", mode, (x ** 2).requires_grad)


@torch.no_grad()
def predict(t):
    return t * 2, torch.is_grad_enabled()


@torch.enable_grad()
def grad_inside(t):
    return (t * 2).requires_grad


@torch.inference_mode()
def infer(t):
    return t + 1


@torch.no_grad
def bare_decorator(t):
    return (t * 2).requires_grad


out, enabled = predict(x)
print(out, out.requires_grad, enabled, torch.is_grad_enabled())
with torch.no_grad():
    print(grad_inside(x))
print(bare_decorator(x))
r = infer(x)
print(r, r.requires_grad, r.is_inference(), x.is_inference())
with torch.inference_mode():
    z = x * 5
    print(torch.is_inference_mode_enabled(), torch.is_grad_enabled(), z.requires_grad, z.is_inference())
with torch.inference_mode(mode=False):
    print(torch.is_inference_mode_enabled(), (x * 5).requires_grad)
try:
    z.requires_grad_()
    (z * x).sum().backward()
except RuntimeError as e:
    print("RuntimeError:", first_line(e))

a = torch.ones(2, 2)
print(a.requires_grad, a.is_leaf, a.grad_fn)
a.requires_grad_()
print(a.requires_grad, a.is_leaf)
b = a * 2
print(b.is_leaf, b.requires_grad)
try:
    b.requires_grad_(False)
except RuntimeError as e:
    print("RuntimeError:", first_line(e))
a.requires_grad_(False)
print(a.requires_grad)
a.requires_grad_(True)

w = torch.tensor([0.5, -1.0], requires_grad=True)
h = w * 3
d = h.detach()
print(d.requires_grad, d.is_leaf, d.grad_fn, h.requires_grad)
d[0] = 100.0
print(h, d)
h2 = w * 4
h2.detach_()
print(h2, h2.requires_grad, h2.is_leaf, h2.grad_fn)

w = torch.tensor([1.0, 2.0], requires_grad=True)
mid = w * w
mid.retain_grad()
loss = (mid * torch.tensor([3.0, 4.0])).sum()
other = w + 1
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    loss.backward()
    print(other.grad)
print(len(caught), caught[0].category.__name__ if caught else None)
print(str(caught[0].message).split(". ")[0] if caught else None)
print(mid.grad, w.grad, mid.retains_grad, other.retains_grad, loss.is_leaf)

p = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
s = p.sigmoid()
s.mul_(2)
try:
    s.sum().backward()
except RuntimeError as e:
    print("RuntimeError:", first_line(e)[:80])
q = p * 1
e2 = q.exp()
e2.add_(1)
try:
    e2.sum().backward()
except RuntimeError as e:
    print("RuntimeError:", "modified by an inplace operation" in str(e), first_line(e)[:60])
p2 = torch.tensor([1.0, 2.0], requires_grad=True)
out = p2 * p2
p2.data.mul_(10)
print("through .data:", p2)
try:
    p.add_(1)
except RuntimeError as e:
    print("RuntimeError:", first_line(e))
try:
    p[0] = 5.0
except RuntimeError as e:
    print("RuntimeError:", first_line(e))
with torch.no_grad():
    p.add_(1)
print(p, p.is_leaf, p.grad_fn)

u = torch.tensor([2.0, 3.0], requires_grad=True)
f = (u ** 3).sum()
f.backward(retain_graph=True)
print(u.grad)
f.backward()
print(u.grad)
try:
    f.backward()
except RuntimeError as e:
    print("RuntimeError:", first_line(e)[:70])
u.grad.zero_()
(u * 2).sum().backward()
(u * 3).sum().backward()
print(u.grad)
u.grad = None
(u.pow(2)).sum().backward()
print(u.grad)

s1 = torch.tensor(2.0, requires_grad=True)
s2 = torch.tensor(5.0, requires_grad=True)
unused = torch.tensor(1.0, requires_grad=True)
g = s1 ** 2 * s2
try:
    torch.autograd.grad(g, [s1, unused], retain_graph=True)
except RuntimeError as e:
    print("RuntimeError:", first_line(e)[:90])
print(torch.autograd.grad(g, [s1, unused], allow_unused=True, retain_graph=True))
print(torch.autograd.grad(g, [s1, s2, unused], allow_unused=True, materialize_grads=True, retain_graph=True))
(ds1,) = torch.autograd.grad(g, s1, create_graph=True)
print(ds1, ds1.requires_grad)
(dds1,) = torch.autograd.grad(ds1, s1)
print(dds1, s1.grad)
v = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
vec = v * 2
try:
    vec.backward()
except RuntimeError as e:
    print("RuntimeError:", first_line(e))
vec.backward(torch.ones(3))
print(v.grad)
try:
    torch.tensor([1, 2]).requires_grad_()
except RuntimeError as e:
    print("RuntimeError:", first_line(e))
try:
    torch.tensor(3.0).backward()
except RuntimeError as e:
    print("RuntimeError:", first_line(e))

torch.manual_seed(0)
model = nn.Linear(3, 1)
for param in model.parameters():
    param.requires_grad_(False)
model.bias.requires_grad_(True)
out = model(torch.ones(4, 3)).sum()
out.backward()
print(model.weight.grad, model.bias.grad, [n for n, p_ in model.named_parameters() if p_.requires_grad])
model.zero_grad()
print(model.bias.grad)
model.bias.grad = torch.ones(1)
model.zero_grad(set_to_none=False)
print(model.bias.grad)
print(sum(p_.numel() for p_ in model.parameters() if p_.requires_grad))
