"""State-dict surgery and checkpoints: named_* with prefixes, strict=False loads and their
_IncompatibleKeys, renamed and DataParallel-prefixed keys, shape-mismatch errors, old 1-element
scalars, assign=True, state-dict and load hooks, extra state, freezing, and BytesIO round trips
that keep the state dict's _metadata."""
import io
from collections import OrderedDict

import torch
import torch.nn as nn
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present
from torch.nn.utils import parameters_to_vector, vector_to_parameters

torch.manual_seed(0)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(16, 32)),
            ("act", nn.GELU(approximate="tanh")),
            ("drop", nn.Dropout(p=0.25)),
            ("fc2", nn.Linear(32, 10)),
        ]))
        self.register_buffer("running", torch.zeros(3), persistent=False)
        self.register_buffer("steps", torch.tensor(0))

    def forward(self, x):
        x = self.features(x)
        x = self.pool(x).flatten(1)
        return self.classifier(x)

model = Net()
print(model)
for name, p in model.named_parameters():
    print(name, tuple(p.shape), p.dtype, p.requires_grad)
for name, b in model.named_buffers():
    print("buf", name, tuple(b.shape), b.dtype)
print(list(model.state_dict().keys()))
for name, m in model.named_modules():
    print(repr(name), type(m).__name__)
for name, _child in model.named_children():
    print("child", name)
print([n for n, _ in model.named_modules(prefix="net")])
print([n for n, _ in model.named_parameters(prefix="model", recurse=False)])
print([n for n, _ in model.classifier.named_parameters(prefix="classifier")])

# strict=False
sd = model.state_dict()
sd2 = OrderedDict((k.replace("classifier.", "head."), v) for k, v in sd.items())
sd2["extra.weight"] = torch.ones(2)
new = Net()
res = new.load_state_dict(sd2, strict=False)
print(res)
print(res.missing_keys)
print(res.unexpected_keys)
print(type(res).__name__)
missing, unexpected = res
print(len(missing), len(unexpected))
try:
    new.load_state_dict(sd2)
except RuntimeError as e:
    print("RuntimeError:", str(e)[:600])

res2 = new.load_state_dict(sd)
print(res2)
# shape mismatch
bad = dict(sd)
bad["classifier.fc2.weight"] = torch.zeros(5, 32)
try:
    new.load_state_dict(bad)
except RuntimeError as e:
    print("RuntimeError:", e)

# freeze
for p in model.features.parameters():
    p.requires_grad_(False)
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
total = sum(p.numel() for p in model.parameters())
print(f"trainable {trainable} / {total}")
model.features.requires_grad_(True)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))

# save/load bytesio
buf = io.BytesIO()
torch.save(model.state_dict(), buf)
buf.seek(0)
loaded = torch.load(buf, weights_only=True, map_location="cpu")
print(type(loaded).__name__, list(loaded.keys())[:4])
print(loaded["steps"], loaded["features.1.num_batches_tracked"])
print(hasattr(loaded, "_metadata"))
print(loaded._metadata[""] if hasattr(loaded, "_metadata") else None)
print(sorted(loaded._metadata.keys())[:5])
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
wrapped = nn.DataParallel(net)
print(list(wrapped.state_dict().keys())[:3])
sd = wrapped.state_dict()
consume_prefix_in_state_dict_if_present(sd, "module.")
print(list(sd.keys())[:3])
print(sorted(sd._metadata.keys()))
new = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
print(new.load_state_dict(sd))
sd2 = {k[len("module."):] if k.startswith("module.") else k: v for k, v in wrapped.state_dict().items()}
print(new.load_state_dict(sd2, strict=True))

# half state dict into float model
h = {k: v.half() if v.is_floating_point() else v for k, v in net.state_dict().items()}
new.load_state_dict(h)
print(new[0].weight.dtype, f"{new[0].weight.sum().item():.3f}")
# assign=True
meta_sd = {k: v.double() if v.is_floating_point() else v for k, v in net.state_dict().items()}
new2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
new2.load_state_dict(meta_sd, assign=True)
print(new2[0].weight.dtype, type(new2[0].weight).__name__, new2[0].weight.requires_grad, new2[1].running_mean.dtype)
# num_batches_tracked shape
bad = dict(net.state_dict())
bad["1.num_batches_tracked"] = torch.tensor([3])
try:
    new.load_state_dict(bad)
except RuntimeError as e:
    print("RuntimeError:", e)
bad = dict(net.state_dict())
bad["0.weight"] = torch.zeros(4, 3, 1)
bad["2.bias"] = torch.zeros(3)
del bad["2.weight"]
bad["3.weight"] = torch.zeros(1)
try:
    new.load_state_dict(bad)
except RuntimeError as e:
    print("RuntimeError:", e)
r = new.load_state_dict({}, strict=False)
print(r)
print(repr(nn.Linear(1, 1).load_state_dict(nn.Linear(1, 1).state_dict())))
print(str(r) == repr(r), r == r, len(r), r[0][:2])
try:
    new.load_state_dict(net)
except TypeError as e:
    print("TypeError:", str(e).split(",")[0])
try:
    new.load_state_dict([("a", 1)])
except TypeError as e:
    print("TypeError:", str(e).split(",")[0])
# state_dict hooks
def post(module, state_dict, prefix, local_metadata):
    state_dict[prefix + "extra"] = torch.ones(1)
lin = nn.Linear(2, 2)
lin._register_state_dict_hook(post)
print(list(lin.state_dict().keys()))
h = lin.register_state_dict_post_hook(lambda m, sd, prefix, lm: print("post hook", prefix, sorted(sd)))
lin.state_dict(prefix="z.")
h.remove()
def pre_load(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
    print("preload", prefix, sorted(state_dict.keys()))
    state_dict.pop(prefix + "extra", None)
lin2 = nn.Linear(2, 2)
lin2.register_load_state_dict_pre_hook(pre_load)
print(lin2.load_state_dict(lin.state_dict()))
lin2.register_load_state_dict_post_hook(lambda m, keys: print("postload", keys))
print(lin2.load_state_dict({"weight": torch.ones(2, 2)}, strict=False))

# get_extra_state
class WithExtra(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(1, 1)
        self.counter = 0
    def get_extra_state(self):
        return {"counter": self.counter}
    def set_extra_state(self, state):
        self.counter = state["counter"]
w = WithExtra()
w.counter = 7
print(list(w.state_dict().keys()), w.state_dict()["_extra_state"])
w2 = WithExtra()
print(w2.load_state_dict(w.state_dict()), w2.counter)
buf = io.BytesIO()
torch.save({"model": w.state_dict(), "epoch": 3, "best": 0.25, "hist": [1.0, 2.0]}, buf)
buf.seek(0)
ck = torch.load(buf, weights_only=True)
print(ck["epoch"], ck["best"], ck["hist"], ck["model"]["_extra_state"])
buf.seek(0)
ck = torch.load(buf, map_location=torch.device("cpu"), weights_only=True)
print(ck["model"]["l.weight"].device)
buf.seek(0)
ck = torch.load(buf, map_location=lambda storage, loc: storage)
print(type(ck).__name__)
buf.seek(0)
ck = torch.load(buf, map_location={"cuda:0": "cpu"})
print(sorted(ck))
# vector
v = parameters_to_vector(net.parameters())
print(v.shape, v.dtype)
vector_to_parameters(torch.zeros_like(v), net.parameters())
print(net[0].weight.abs().sum())
