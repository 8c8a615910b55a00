"""The nn.Module API a trainer or a checkpoint loader touches: a nested model's repr (extra_repr
included), named_modules/named_children/named_parameters/named_buffers (prefix, recurse,
remove_duplicate with a shared layer), register_buffer(persistent=False) and state_dict keys,
load_state_dict(strict=False) and its missing/unexpected keys, get_submodule/get_parameter/
get_buffer, add_module/register_module, Sequential indexing/slicing/append/insert/extend/del,
ModuleDict/ParameterList/ParameterDict, requires_grad_, train/eval flags, apply, to(dtype),
zero_grad(set_to_none=False), parameter counting, and errors for bad names."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class Scale(nn.Module):
    def __init__(self, n, init=1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.full((n,), init))
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))
        self.register_buffer("cache", torch.zeros(n), persistent=False)

    def forward(self, x):
        self.calls += 1
        self.cache = x.detach().mean(0)
        return x * self.weight

    def extra_repr(self):
        return f"n={self.weight.numel()}"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        shared = nn.Linear(4, 4)
        self.encoder = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), shared, Scale(4))
        self.heads = nn.ModuleDict({"cls": nn.Linear(4, 2), "reg": nn.Sequential(shared, nn.Linear(4, 1))})
        self.extras = nn.ParameterList([nn.Parameter(torch.ones(2)), nn.Parameter(torch.zeros(3))])
        self.gains = nn.ParameterDict({"a": nn.Parameter(torch.tensor(1.0))})
        self.dropout = nn.Dropout(0.25)

    def forward(self, x):
        h = self.dropout(self.encoder(x))
        return self.heads["cls"](h), self.heads["reg"](h) * self.gains["a"]


net = Net()
print(net)
print([n for n, _ in net.named_children()])
print([n for n, _ in net.named_modules()])
print(len(list(net.named_modules(remove_duplicate=False))), len(list(net.modules())))
print([n for n, _ in net.named_parameters()])
print(len(list(net.named_parameters(remove_duplicate=False))), sum(p.numel() for p in net.parameters()))
print([n for n, _ in net.named_parameters(prefix="model", recurse=True)][:3], [n for n, _ in net.heads.named_parameters(recurse=False)])
print([(n, b.dtype) for n, b in net.named_buffers()], list(net.state_dict().keys()))
print(net.get_submodule("encoder.3"), net.get_parameter("heads.cls.bias").shape, net.get_buffer("encoder.3.calls"))
try:
    net.get_submodule("encoder.9")
except AttributeError as e:
    print("AttributeError", e)

out_cls, out_reg = net(torch.randn(5, 3))
print(out_cls.shape, out_reg.shape, net.encoder[3].calls, net.encoder[3].cache.shape)

sd = net.state_dict()
sd.pop("heads.cls.bias")
sd["bogus.weight"] = torch.zeros(1)
fresh = Net()
result = fresh.load_state_dict(sd, strict=False)
print(type(result).__name__, result.missing_keys, result.unexpected_keys)
print(torch.equal(fresh.encoder[0].weight, net.encoder[0].weight), fresh.encoder[3].calls)
try:
    fresh.load_state_dict(sd)
except RuntimeError as e:
    print("RuntimeError", str(e).splitlines()[0])
print(fresh.load_state_dict(net.state_dict()))

seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
seq.append(nn.Linear(3, 1))
seq.insert(1, nn.BatchNorm1d(3))
seq.extend([nn.Sigmoid()])
print(seq, len(seq), seq[-1], seq[1:3])
del seq[1]
print([type(m).__name__ for m in seq], seq[0] is seq[:1][0])
seq.add_module("final", nn.Identity())
seq.register_module("after", nn.Flatten(0))
print(list(seq._modules.keys()), seq(torch.randn(4, 2)).shape)

net.requires_grad_(False)
net.heads.requires_grad_()
print([n for n, p in net.named_parameters() if p.requires_grad])
net.eval()
print(net.training, net.encoder.training, net.heads["cls"].training)
net.encoder.train()
print(net.training, net.encoder[1].training, net.dropout.training)
net.train()

names = []
net.apply(lambda m: names.append(type(m).__name__))
print(names)


@torch.no_grad()
def init(m):
    if isinstance(m, nn.Linear):
        m.weight.fill_(0.1)
        nn.init.zeros_(m.bias)


net.apply(init)
print(net.heads.cls.weight[0], net.heads["reg"][1].bias)
net.double()
print(net.encoder[0].weight.dtype, net.encoder[3].calls.dtype, net.encoder[3].cache.dtype)
net.to(torch.float32)
print(net.extras[0].dtype, net.gains["a"].dtype)

net.requires_grad_(True)
y = sum(o.sum() for o in net(torch.randn(2, 3)))
y.backward()
print(net.encoder[0].weight.grad is not None, net.extras[0].grad)
net.zero_grad(set_to_none=False)
print(net.encoder[0].weight.grad.abs().sum(), net.extras[0].grad)
net.zero_grad()
print(net.encoder[0].weight.grad)

try:
    net.register_buffer("a.b", torch.zeros(1))
except KeyError as e:
    print("KeyError", e)
try:
    net.add_module("encoder", nn.Linear(1, 1))
    print("replaced", type(net.encoder).__name__)
except KeyError as e:
    print("KeyError", e)
try:
    net.weight = torch.zeros(1)
    net.register_parameter("weight", nn.Parameter(torch.zeros(1)))
except KeyError as e:
    print("KeyError", e)
m = nn.Linear(2, 2)
try:
    m.weight = torch.zeros(2, 2)
except TypeError as e:
    print("TypeError", e)
m.weight = nn.Parameter(torch.ones(2, 2))
del m.bias
print(hasattr(m, "bias"), [n for n, _ in m.named_parameters()], m.weight.sum())
