"""Module and autograd hook APIs beyond forward hooks, and the in-place errors debugging posts
show: full backward pre-hooks that rescale grad_output, full backward hooks (on a submodule and
on the whole model, zeroing grad_input), global module forward hooks, post-accumulate-grad hooks
on parameters, a load_state_dict post hook with strict=False, forward hooks with kwargs and one
replacing a dict output, node hooks on a grad_fn; then backward through values changed in place
(a saved output, a saved input whose grad_fn is now the in-place op, a saved constant, a tensor
used twice) with the RuntimeError printed in full, and the same under detect_anomaly."""
import warnings

import torch
import torch.nn as nn
from torch.nn.modules.module import register_module_forward_hook

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
x = torch.randn(5, 3)


def backward_hook(module, grad_input, grad_output):
    shapes_in = [None if g is None else tuple(g.shape) for g in grad_input]
    print("backward hook", type(module).__name__, shapes_in, [tuple(g.shape) for g in grad_output])


def backward_pre_hook(module, grad_output):
    print("backward pre-hook", type(module).__name__, [f"{g.norm():.4f}" for g in grad_output])
    return (grad_output[0] * 2,)


handles = [
    model[0].register_full_backward_hook(backward_hook),
    model[2].register_full_backward_pre_hook(backward_pre_hook),
    model[2].register_full_backward_hook(backward_hook),
]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model(x).sum().backward()
print("warnings:", [str(w.message).split(".")[0] for w in caught])
print(f"first layer weight grad norm {model[0].weight.grad.norm():.4f}")
for h in handles:
    h.remove()

model.zero_grad()
inp = x.clone().requires_grad_()
h = model.register_full_backward_hook(lambda m, gi, go: tuple(None if g is None else g * 0 for g in gi))
model(inp).sum().backward()
print("input grad after zeroing hook", inp.grad.abs().sum().item(), f"{model[0].weight.grad.norm():.4f}")
h.remove()

calls = []
g = register_module_forward_hook(lambda m, i, o: calls.append(type(m).__name__))
model(x)
g.remove()
model(x)
print("global forward hook saw", calls)

torch.manual_seed(1)
lin = nn.Linear(2, 2)
accumulated = []
for name, p in lin.named_parameters():
    p.register_post_accumulate_grad_hook(lambda p, name=name: accumulated.append((name, tuple(p.grad.shape))))
lin(torch.randn(3, 2)).sum().backward()
print("post-accumulate hooks", accumulated)

target = nn.Linear(2, 2)
target.register_load_state_dict_post_hook(
    lambda module, keys: print("post load: missing", keys.missing_keys, "unexpected", keys.unexpected_keys)
)
result = target.load_state_dict({"weight": torch.zeros(2, 2), "bias": torch.zeros(2), "extra": torch.ones(1)}, strict=False)
print(result)
try:
    target.load_state_dict({"weight": torch.ones(2, 2)})
except RuntimeError as e:
    print("RuntimeError:", e)
print(target.load_state_dict({"weight": torch.ones(2, 2), "bias": torch.ones(2)}))


class TwoHeads(nn.Module):
    def forward(self, x, scale=1.0):
        return {"a": x * 2 * scale, "b": x + scale}


heads = TwoHeads()
heads.register_forward_hook(lambda m, args, kwargs, out: print("kwargs seen", sorted(kwargs)), with_kwargs=True)
heads.register_forward_hook(lambda m, i, o: {k: v.sum() for k, v in o.items()})
print(heads(torch.ones(2), scale=3.0))

q = torch.randn(3, requires_grad=True)
r = q.exp()
r.grad_fn.register_prehook(lambda grad_outputs: print("node pre-hook", len(grad_outputs)))
r.grad_fn.register_hook(lambda gi, go: print("node hook", [tuple(t.shape) for t in gi], [tuple(t.shape) for t in go]))
r.sum().backward()


def report(label, loss):
    try:
        loss.backward()
        print(label, "no error")
    except RuntimeError as e:
        print(label, "->", e)


torch.manual_seed(2)
a = torch.randn(3, requires_grad=True)
s = a.sigmoid()
s.mul_(2)
report("saved output", s.sum())
e = a.exp()
e2 = e ** 2
e.add_(1)
report("saved input", e2.sum())
w = torch.randn(3, 4)
out = torch.randn(2, 3, requires_grad=True).matmul(w)
w.add_(1)
report("saved constant", out.sum())
d = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
h = d.tanh()
h[0, 0] = 0.0
report("index write", h.sum())
y = a * 1
z = y * y
y.relu_()
report("used twice", z.sum())
safe = a.exp()
total = (safe * 2).sum()
safe = safe + 1
report("rebound, not in place", total)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with torch.autograd.detect_anomaly():
        b = a.sigmoid()
        b.mul_(2)
        report("under anomaly", b.sum())
print([str(w.message).splitlines()[0] for w in caught])
