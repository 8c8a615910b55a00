"""A tour of torch.nn.init after torch.manual_seed: calculate_gain for every nonlinearity,
xavier_uniform_/xavier_normal_ with a gain, kaiming_uniform_/kaiming_normal_ (fan_in/fan_out, a,
nonlinearity), orthogonal_, sparse_, trunc_normal_ with bounds, constant_/ones_/zeros_/eye_/dirac_,
normal_/uniform_ with a generator, the fan computation for conv kernels, and layers'
reset_parameters printing the first weights of Linear, Conv2d, LSTM, GRU and Embedding.

tolerance: rtol=1e-4 atol=1e-5
"""
import math

import torch
import torch.nn as nn
from torch.nn import init

for nl in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose2d", "sigmoid", "tanh", "relu", "selu"]:
    print(f"{nl:>16s} {init.calculate_gain(nl):.6f}")
print(init.calculate_gain("leaky_relu"), init.calculate_gain("leaky_relu", 0.2), init.calculate_gain("leaky_relu", 1))
try:
    init.calculate_gain("swish")
except ValueError as e:
    print("ValueError:", e)
try:
    init.calculate_gain("leaky_relu", "a")
except ValueError as e:
    print("ValueError:", e)


def describe(name, t):
    print(f"{name:<28s} {tuple(t.shape)} mean {t.mean().item():+.4f} std {t.std().item():.4f} "
          f"min {t.min().item():+.4f} max {t.max().item():+.4f}")


torch.manual_seed(0)
w = torch.empty(64, 32)
describe("xavier_uniform_", init.xavier_uniform_(w))
print(w[0, :4])
describe("xavier_uniform_ gain relu", init.xavier_uniform_(w, gain=init.calculate_gain("relu")))
describe("xavier_normal_", init.xavier_normal_(w))
describe("xavier_normal_ gain 0.5", init.xavier_normal_(w, gain=0.5))
print(w[1, :4])
describe("kaiming_uniform_", init.kaiming_uniform_(w))
describe("kaiming_uniform_ a=sqrt(5)", init.kaiming_uniform_(w, a=math.sqrt(5)))
describe("kaiming_uniform_ fan_out", init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"))
describe("kaiming_normal_", init.kaiming_normal_(w))
describe("kaiming_normal_ fan_out", init.kaiming_normal_(w, mode="fan_out"))
describe("kaiming_normal_ leaky 0.1", init.kaiming_normal_(w, a=0.1, nonlinearity="leaky_relu"))
print(w[2, :4])
describe("trunc_normal_", init.trunc_normal_(w, mean=0.0, std=0.02))
describe("trunc_normal_ bounds", init.trunc_normal_(w, mean=1.0, std=2.0, a=-1.0, b=2.0))
print(w[3, :4])
describe("normal_", init.normal_(w, mean=0.5, std=0.1))
describe("uniform_", init.uniform_(w, a=-2.0, b=3.0))
q = torch.empty(6, 4)
init.orthogonal_(q)
print(q[0], torch.allclose(q.T @ q, torch.eye(4), atol=1e-5))
init.orthogonal_(q, gain=2.0)
print((q.T @ q).diagonal())
wide = init.orthogonal_(torch.empty(3, 7))
print(torch.allclose(wide @ wide.T, torch.eye(3), atol=1e-5), wide.shape)
sp = init.sparse_(torch.empty(10, 4), sparsity=0.3, std=0.05)
print((sp == 0).sum(dim=0), sp[:3])

g = torch.Generator().manual_seed(123)
a = init.normal_(torch.empty(5), generator=g)
b = init.uniform_(torch.empty(5), -1, 1, generator=g)
g.manual_seed(123)
print(a, b, torch.equal(init.normal_(torch.empty(5), generator=g), a))
print(init.xavier_uniform_(torch.empty(2, 3), generator=torch.Generator().manual_seed(5)))
print(init.kaiming_normal_(torch.empty(2, 3), generator=torch.Generator().manual_seed(5)))
print(init.trunc_normal_(torch.empty(4), generator=torch.Generator().manual_seed(5)))

print(init.constant_(torch.empty(2, 3), 0.25), init.ones_(torch.empty(2)), init.zeros_(torch.empty(1, 2)))
print(init.eye_(torch.empty(2, 4)), init.eye_(torch.empty(3, 2)))
d = init.dirac_(torch.empty(4, 2, 3))
print(d.sum(), d[:, :, 1])
d2 = init.dirac_(torch.empty(4, 4, 3, 3), groups=2)
print(d2.sum(), d2[0, 0], d2[2, 0, 1, 1], d2[2, 0].sum())
x = torch.randn(1, 2, 5)
conv = nn.Conv1d(2, 2, 3, padding=1, bias=False)
init.dirac_(conv.weight)
print(torch.allclose(conv(x), x))
try:
    init.xavier_uniform_(torch.empty(5))
except ValueError as e:
    print("ValueError:", e)
try:
    init.kaiming_uniform_(torch.empty(3, 3), mode="fan_avg")
except ValueError as e:
    print("ValueError:", e)

torch.manual_seed(0)
lin = nn.Linear(5, 3)
print(lin.weight[0], lin.bias)
conv = nn.Conv2d(3, 4, kernel_size=3)
print(conv.weight[0, 0], conv.bias)
bound = 1 / math.sqrt(3 * 3 * 3)
print(conv.weight.abs().max().item() <= bound, conv.bias.abs().max().item() <= bound)
lstm = nn.LSTM(4, 3)
print(lstm.weight_ih_l0[:2], lstm.bias_hh_l0[:4])
gru = nn.GRU(2, 2, num_layers=2)
print(gru.weight_hh_l1[0], gru.bias_ih_l1[:3])
emb = nn.Embedding(6, 3, padding_idx=2)
print(emb.weight[:3])
convt = nn.ConvTranspose2d(2, 3, 2)
print(convt.weight.shape, convt.weight[0, 0], convt.bias)
bn = nn.BatchNorm1d(3)
ln = nn.LayerNorm(4)
print(bn.weight, bn.bias, bn.running_var, ln.weight, ln.bias)
mha = nn.MultiheadAttention(4, 2)
print(mha.in_proj_weight[0], mha.in_proj_bias, mha.out_proj.bias)

torch.manual_seed(0)
first = nn.Linear(5, 3).weight.detach().clone()
lin.reset_parameters()
torch.manual_seed(0)
lin.reset_parameters()
print(torch.equal(lin.weight, first), lin.weight[1])
model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
torch.manual_seed(1)
for m in model.modules():
    if hasattr(m, "reset_parameters"):
        m.reset_parameters()
print(model[0].weight[0, 0], model[3].weight[0], model[3].bias)


def init_fn(m):
    if isinstance(m, nn.Linear):
        init.kaiming_normal_(m.weight, nonlinearity="relu")
        init.constant_(m.bias, 0.01)
    elif isinstance(m, nn.Conv2d):
        init.xavier_normal_(m.weight)
        init.zeros_(m.bias)


torch.manual_seed(2)
model.apply(init_fn)
print(model[0].weight[1, 0], model[3].weight[1], model[3].bias)
fan_in, fan_out = init._calculate_fan_in_and_fan_out(torch.empty(8, 4, 3, 3))
print(fan_in, fan_out, init._calculate_fan_in_and_fan_out(torch.empty(10, 7)))
