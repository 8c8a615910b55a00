"""Custom autograd.Function contracts and their failure modes, the way autograd tutorials probe them.

Exercises: ctx.set_materialize_grads(False) (None for an unused output), once_differentiable,
setup_context style, mark_non_differentiable / mark_dirty, the errors a wrong backward raises
(gradient count, shape, non-Tensor gradient, gradient for a non-tensor input), a second backward
and ctx.saved_tensors after the graph was freed, autograd.grad argument errors, gradgradcheck and
the batched gradcheck drawing from the global generator (the next draws are printed), reentrant
checkpointing of inputs that need no grad, and no_grad on a generator function.
"""
import warnings

import torch
import torch.nn as nn
from torch.autograd import Function
from torch.autograd.function import once_differentiable
from torch.utils.checkpoint import checkpoint


def show(e):
    print(f"{type(e).__name__}: {str(e).splitlines()[0]}")


class SplitTwo(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x.clone(), x * 2

    @staticmethod
    @once_differentiable
    def backward(ctx, g1, g2):
        print("  backward sees None:", g1 is None, g2 is None)
        out = torch.zeros_like(g1 if g1 is not None else g2)
        if g1 is not None:
            out = out + g1
        if g2 is not None:
            out = out + 2 * g2
        return out


class Scale(Function):
    @staticmethod
    def forward(x, alpha):
        return x * alpha

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.alpha = inputs[1]

    @staticmethod
    def backward(ctx, g):
        return g * ctx.alpha, None


class SortIdx(Function):
    @staticmethod
    def forward(ctx, x):
        v, i = x.sort()
        ctx.mark_non_differentiable(i)
        ctx.save_for_backward(i)
        return v, i

    @staticmethod
    def backward(ctx, gv, gi):
        (i,) = ctx.saved_tensors
        return torch.zeros_like(gv).scatter_(0, i, gv)


class DoubleInPlace(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x)
        return x.mul_(2)

    @staticmethod
    def backward(ctx, g):
        return 2 * g


def wrong_backward(returned):
    class Wrong(Function):
        @staticmethod
        def forward(ctx, alpha, x):
            return x * alpha

        @staticmethod
        def backward(ctx, g):
            return returned(g)

    return Wrong


print("== materialize_grads / once_differentiable")
torch.manual_seed(0)
x = torch.randn(4, requires_grad=True)
a, b = SplitTwo.apply(x)
a.sum().backward()
print(x.grad)
x.grad = None
a, b = SplitTwo.apply(x)
(b * 3).sum().backward()
print(x.grad)
a, b = SplitTwo.apply(x)
(g,) = torch.autograd.grad(a.sum(), x, create_graph=True)
print(g.requires_grad, g.grad_fn)

print("== setup_context, non-differentiable and dirty outputs")
y = Scale.apply(x, 3.0)
print(y.grad_fn.name(), y.requires_grad)
v, i = SortIdx.apply(x)
print(v.requires_grad, i.requires_grad, i.dtype)
(v * torch.arange(4.0)).sum().backward()
print(x.grad)
h = x.detach().clone().requires_grad_()
c = h * 1
d = DoubleInPlace.apply(c)
print(d is c, c._version, type(c.grad_fn).__name__)
d.sum().backward()
print(h.grad)

print("== wrong backwards")
for name, returned in [
    ("too few", lambda g: (g,)),
    ("wrong shape", lambda g: (None, g[:2])),
    ("number", lambda g: (None, 1.0)),
    ("for the number", lambda g: (g, g)),
    ("broadcast (summed)", lambda g: (None, g.expand(3, 4))),
]:
    x.grad = None
    try:
        wrong_backward(returned).apply(2.0, x).sum().backward()
        print(name, "ok", x.grad)
    except RuntimeError as e:
        print(name, end=" -> ")
        show(e)

print("== freed graph")
y = Scale.apply(x, 2.0).exp().sum()
y.backward()
try:
    y.backward()
except RuntimeError as e:
    show(e)
v, i = SortIdx.apply(x)
v.sum().backward()
try:
    v.grad_fn.saved_tensors
except RuntimeError as e:
    show(e)

print("== autograd.grad arguments")
z = x * 2
for name, call in [
    ("counts", lambda: torch.autograd.grad([z.sum(), z.sum()], x, grad_outputs=[torch.tensor(1.0)], retain_graph=True)),
    ("number", lambda: torch.autograd.grad(z, x, grad_outputs=[1.0], retain_graph=True)),
    ("shape", lambda: torch.autograd.grad(z, x, grad_outputs=torch.ones(2), retain_graph=True)),
    ("batched shape", lambda: torch.autograd.grad(z, x, grad_outputs=torch.ones(4), is_grads_batched=True, retain_graph=True)),
    ("no inputs", lambda: torch.autograd.grad(z.sum(), [], retain_graph=True)),
    ("int factory", lambda: torch.zeros(2, dtype=torch.int64, requires_grad=True)),
]:
    try:
        call()
    except (RuntimeError, TypeError) as e:
        print(name, end=" -> ")
        show(e)
(jac,) = torch.autograd.grad(z, x, grad_outputs=torch.eye(4), is_grads_batched=True)
print(jac.diagonal())

print("== gradcheck and the global generator")
torch.manual_seed(1)
p = torch.randn(3, 2, dtype=torch.double, requires_grad=True)
q = torch.randn(3, 2, dtype=torch.double, requires_grad=True)
print(torch.autograd.gradgradcheck(lambda s, t: (s.tanh() * t, s.sin()), (p, q)))
print(torch.rand(2))
print(torch.autograd.gradgradcheck(torch.tanh, (p,), gen_non_contig_grad_outputs=True))
print(torch.rand(2))
print(torch.autograd.gradcheck(lambda s, t: s * t, (p, q), check_batched_grad=True))
print(torch.rand(2))

print("== reentrant checkpoint of inputs without grad")
torch.manual_seed(0)
block = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
head = nn.Linear(4, 1)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    feats = checkpoint(block, torch.randn(5, 3), use_reentrant=True)
print([str(w.message) for w in caught])
loss = head(feats).pow(2).mean()
loss.backward()
print(f"{loss.item():.4f}", feats.requires_grad, block[0].weight.grad, head.weight.grad.shape)

print("== no_grad on a generator")


@torch.no_grad()
def batches(n):
    for k in range(n):
        yield (x * k).requires_grad, torch.is_grad_enabled()


print(list(batches(2)), torch.is_grad_enabled())
