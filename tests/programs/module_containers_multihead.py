"""A multi-task model assembled from containers, the way tutorials build "heads per task":
nn.ModuleDict of heads (keys(), items(), update, pop, `in`), nn.ParameterDict of per-task
temperatures, nn.ModuleList of blocks (append, extend, insert, slicing, negative indexing),
nn.ParameterList, nn.Sequential from an OrderedDict (indexing by int/slice, named access), a
buffer registered with persistent=False, print(model) of all of them, named_parameters shapes,
named_modules / named_children / named_buffers, get_submodule / get_parameter, state_dict keys,
load_state_dict(strict=False) printing the _IncompatibleKeys result, requires_grad_ freezing,
parameters_to_vector / vector_to_parameters and a short joint training loop.

tolerance: rtol=1e-3 atol=1e-5
"""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parameters_to_vector, vector_to_parameters

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.net = nn.Sequential(OrderedDict([
            ("fc", nn.Linear(dim, dim)),
            ("norm", nn.LayerNorm(dim)),
            ("act", nn.Tanh()),
        ]))

    def forward(self, x):
        return x + self.net(x)


class MultiTask(nn.Module):
    def __init__(self, dim=8, tasks=("cls", "reg")):
        super().__init__()
        self.stem = nn.Linear(4, dim)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(2)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(dim, 3), "reg": nn.Linear(dim, 1)})
        self.temps = nn.ParameterDict({t: nn.Parameter(torch.ones(1)) for t in tasks})
        self.gates = nn.ParameterList([nn.Parameter(torch.full((dim,), 0.5)) for _ in range(2)])
        self.register_buffer("step_count", torch.zeros((), dtype=torch.long))
        self.register_buffer("scratch", torch.zeros(3), persistent=False)

    def forward(self, x):
        h = torch.tanh(self.stem(x))
        for blk, g in zip(self.blocks, self.gates):
            h = blk(h) * torch.sigmoid(g)
        return {name: head(h) / self.temps[name] for name, head in self.heads.items()}


model = MultiTask()
print(model)
print(len(model.blocks), len(model.heads), len(model.temps), len(model.gates))
print(list(model.heads.keys()), "cls" in model.heads, "seg" in model.heads)
print(model.blocks[-1].net[0], model.blocks[0].net.norm)
print(model.blocks[0].net[1:])
print(type(model.blocks[:1]).__name__, len(model.blocks[:1]))
for name, p in model.named_parameters():
    print(f"{name:28s} {tuple(p.shape)} {p.requires_grad}")
print("params:", sum(p.numel() for p in model.parameters()))
print([n for n, _ in model.named_children()])
print([n for n, _ in model.named_modules()][:8])
print([(n, b.dtype) for n, b in model.named_buffers()])
print(list(model.state_dict().keys()))
print(model.get_submodule("blocks.1.net.fc"))
print(model.get_parameter("temps.reg"))

# -- data: two tasks that share inputs
x = torch.randn(64, 4)
y_cls = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
y_reg = (x[:, 2] * 2 - x[:, 3]).unsqueeze(1)
opt = torch.optim.Adam(model.parameters(), lr=0.02)
for step in range(30):
    out = model(x)
    loss_c = F.cross_entropy(out["cls"], y_cls)
    loss_r = F.mse_loss(out["reg"], y_reg)
    loss = loss_c + 0.5 * loss_r
    opt.zero_grad()
    loss.backward()
    opt.step()
    model.step_count += 1
    if step % 10 == 9:
        print(f"step {step + 1:2d} cls {loss_c.item():.4f} reg {loss_r.item():.4f}")
print(model.step_count, model.temps["cls"].data, model.gates[1][:3])

# -- growing the containers
model.blocks.append(Block(8))
model.blocks.extend([Block(8)])
model.blocks.insert(0, Block(8))
print(len(model.blocks), [type(b).__name__ for b in model.blocks])
model.heads.update({"aux": nn.Linear(8, 2)})
model.temps["aux"] = nn.Parameter(torch.full((1,), 2.0))
print(list(model.heads), list(model.temps.keys()))
popped = model.heads.pop("aux")
print(popped, list(model.heads.keys()))
del model.temps["aux"]
print(model.temps)

# -- state_dict round-trip with mismatches
sd = model.state_dict()
print(len(sd), "scratch" in sd, sd["step_count"])
fresh = MultiTask()
result = fresh.load_state_dict(sd, strict=False)
print(result)
print(sorted(result.unexpected_keys)[:3], result.missing_keys)
trimmed = {k: v for k, v in sd.items() if not k.startswith("blocks.3") and not k.startswith("blocks.2")}
trimmed.pop("heads.reg.bias")
print(fresh.load_state_dict(trimmed, strict=False).missing_keys)
try:
    fresh.load_state_dict(trimmed)
except RuntimeError as e:
    print("strict load failed:", str(e).splitlines()[0])

# -- freezing and flat vectors
model.blocks.requires_grad_(False)
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
print(trainable)
vec = parameters_to_vector(model.heads.parameters())
print(vec.shape, f"{vec.norm().item():.4f}")
vector_to_parameters(torch.zeros_like(vec), model.heads.parameters())
print(model.heads["reg"].weight.abs().sum(), model.heads["cls"].bias)
with torch.no_grad():
    out = model(x[:3])
print({k: v.shape for k, v in out.items()})
print(out["reg"])
