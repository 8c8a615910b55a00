"""Module hooks and surgery helpers: forward hooks capturing activations, pre-hooks with kwargs,
always_call hooks, full backward (pre-)hooks, tensor hooks, zero_grad(set_to_none=False), deep copies
of models and optimizers (parameters lose .grad), and half/double/bfloat16/to(dtype) conversions."""
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
acts = {}
def get_act(name):
    def hook(m, inp, out):
        acts[name] = out.detach()
    return hook
hs = [m.register_forward_hook(get_act(n)) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
x = torch.randn(2, 4)
y = model(x)
for k, v in acts.items():
    print(k, v.shape, f"{v.sum().item():.4f}")
for h in hs:
    h.remove()

print(type(hs[0]).__name__, hs[0].id >= 0)

# pre-hook with kwargs
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(3, 3)
    def forward(self, x, scale=1.0):
        return self.l(x) * scale
m = M()
def pre(mod, args, kwargs):
    print("pre", len(args), sorted(kwargs))
    return args, {"scale": 2.0}
h = m.register_forward_pre_hook(pre, with_kwargs=True)
out = m(torch.ones(1, 3), scale=5.0)
print(f"{out.sum().item():.4f}")
h.remove()
def pre2(mod, args):
    return (args[0] * 0,)
h2 = m.register_forward_pre_hook(pre2)
print(m(torch.ones(1, 3)))
h2.remove()
def fh(mod, args, kwargs, output):
    print("fwd kw", kwargs)
    return output + 1
h3 = m.register_forward_hook(fh, with_kwargs=True)
print(m(torch.ones(1, 3), scale=0.0))
h3.remove()
h4 = m.register_forward_hook(lambda mod, i, o: print("always", type(o).__name__), always_call=True)
m(torch.ones(1, 3))
h4.remove()

# backward hooks
torch.manual_seed(1)
net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
grads = []
def bh(mod, gin, gout):
    grads.append((type(mod).__name__, [None if g is None else tuple(g.shape) for g in gin], [tuple(g.shape) for g in gout]))
for mod in net:
    mod.register_full_backward_hook(bh)
def bph(mod, gout):
    print("bpre", type(mod).__name__, [tuple(g.shape) for g in gout])
net[2].register_full_backward_pre_hook(bph)
inp = torch.randn(5, 3, requires_grad=True)
net(inp).sum().backward()
for g in grads:
    print(g)
inp2 = torch.randn(5, 3)
grads.clear()
net(inp2).sum().backward()
for g in grads:
    print(g)

# tensor hooks
w = net[0].weight
hh = w.register_hook(lambda g: g * 0.5)
net.zero_grad()
net(inp2).sum().backward()
print(f"{w.grad.abs().sum().item():.4f}")
hh.remove()
net.zero_grad(set_to_none=False)
print(w.grad.abs().sum().item(), net[2].bias.grad)
net.zero_grad()
print(w.grad)

# deepcopy
torch.manual_seed(2)
base = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
opt = torch.optim.Adam(base.parameters(), lr=1e-3)
base(torch.randn(4, 3)).sum().backward()
opt.step()
clone = copy.deepcopy(base)
print(clone[0].weight is base[0].weight, torch.equal(clone[0].weight, base[0].weight))
print(clone[0].weight.grad is not None, clone[1].running_mean)
opt2 = copy.deepcopy(opt)
print(opt2.state_dict()["state"][0]["step"], opt2.param_groups[0]["lr"])
print(opt2.param_groups[0]["params"][0] is base[0].weight)
print(opt2)
ema = copy.deepcopy(base).eval().requires_grad_(False)
print(ema.training, any(p.requires_grad for p in ema.parameters()))
# dtype conversions
torch.manual_seed(3)
net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
print(net.half()[0].weight.dtype, net[1].running_mean.dtype, net[1].num_batches_tracked.dtype)
print(net.double()[0].weight.dtype)
print(net.bfloat16()[0].bias.dtype)
print(net.to(torch.float32)[0].weight.dtype)
print(net.to("cpu", torch.float16)[1].weight.dtype)
print(net.float()[1].running_var.dtype)
print(net.type(torch.float64)[0].weight.dtype)
out = net.float()(torch.randn(3, 2))
print(out.dtype)
try:
    net.to(torch.int32)
except TypeError as e:
    print("TypeError:", e)
try:
    nn.Linear(2, 2).half()(torch.randn(1, 2))
except RuntimeError as e:
    print("RuntimeError:", e)
lin = nn.Linear(2, 2)
p_before = lin.weight
lin.double()
print(lin.weight is p_before, type(lin.weight).__name__)
