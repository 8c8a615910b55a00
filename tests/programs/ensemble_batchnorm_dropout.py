"""An ensemble of small classifiers with BatchNorm and Dropout, run as one model with
stack_module_state + functional_call + vmap: eval-mode predictions against a loop over the
members, a few training steps with stacked running statistics updated per member, dropout with
randomness="same" and "different", and the randomness="error" refusal.

tolerance: rtol=1e-4 atol=1e-5
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad_and_value, stack_module_state, vmap

torch.manual_seed(0)


class Member(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop_in = nn.Dropout(0.1)
        self.fc1 = nn.Linear(6, 12)
        self.bn = nn.BatchNorm1d(12)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(12, 3)

    def forward(self, x):
        h = F.relu(self.bn(self.fc1(self.drop_in(x))))
        return self.fc2(self.drop(h))


num_models = 4
members = [Member() for _ in range(num_models)]
x = torch.randn(16, 6)
y = torch.randint(0, 3, (16,))

# warm up each member's running statistics a little, so eval mode has something to use
for m in members:
    m.train()
    with torch.no_grad():
        for _ in range(2):
            m.fc1.weight.mul_(1.0)
            m.bn(m.fc1(torch.randn(16, 6)))
    m.eval()

params, buffers = stack_module_state(members)
base = copy.deepcopy(members[0]).to("meta")
print(sorted(buffers), [tuple(v.shape) for _, v in sorted(buffers.items())])
print(buffers["bn.num_batches_tracked"])


def fmodel(p, b, inp):
    return functional_call(base, (p, b), (inp,))


base.eval()
ens = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
loop = torch.stack([m(x) for m in members])
print("eval", tuple(ens.shape), torch.allclose(ens, loop, atol=1e-5), f"{ens.sum().item():.5f}")
vote = ens.softmax(-1).mean(0).argmax(-1)
print("ensemble vote", vote.tolist())
print("members agree with vote", (ens.argmax(-1) == vote).float().mean(1).tolist())

# per-member minibatches in eval mode
xs = torch.randn(num_models, 5, 6)
per = vmap(fmodel)(params, buffers, xs)
print("per-member", tuple(per.shape), torch.allclose(per, torch.stack([m(xi) for m, xi in zip(members, xs)]), atol=1e-5))

# training mode with dropout: "error" refuses random ops, "same" and "different" do not
base.train()
try:
    vmap(fmodel, in_dims=(0, 0, None))(params, {k: v.clone() for k, v in buffers.items()}, x)
except RuntimeError as e:
    print("randomness=error:", "randomness" in str(e))
b_same = {k: v.clone() for k, v in buffers.items()}
torch.manual_seed(1)
out_same = vmap(fmodel, in_dims=(0, 0, None), randomness="same")(params, b_same, x)
print("same", tuple(out_same.shape), b_same["bn.num_batches_tracked"].tolist(), f"{out_same.sum().item():.5f}")
print("same rows", [round(v, 5) for v in out_same[:, 0].sum(1).tolist()])
b_diff = {k: v.clone() for k, v in buffers.items()}
torch.manual_seed(1)
out_diff = vmap(fmodel, in_dims=(0, 0, None), randomness="different")(params, b_diff, x)
print("different", tuple(out_diff.shape), b_diff["bn.num_batches_tracked"].tolist(), f"{out_diff.sum().item():.5f}")
print("different rows", [round(v, 5) for v in out_diff[:, 0].sum(1).tolist()])
print("running means moved", [round(v, 5) for v in (b_diff["bn.running_mean"] - buffers["bn.running_mean"]).abs().sum(1).tolist()])
print("same and different agree on BN stats", torch.allclose(b_same["bn.running_var"], b_diff["bn.running_var"]))

# a few training steps without dropout noise: each member's statistics move on their own
base.drop.p = base.drop_in.p = 0.0


def loss_fn(p, b, inp, target):
    return F.cross_entropy(fmodel(p, b, inp), target)


lr = 0.1
train_buffers = {k: v.clone() for k, v in buffers.items()}
for step in range(4):
    grads, losses = vmap(grad_and_value(loss_fn), in_dims=(0, 0, None, None))(params, train_buffers, x, y)
    params = {k: v - lr * grads[k] for k, v in params.items()}
    print("step", step, [round(v, 5) for v in losses.tolist()])
print("tracked", train_buffers["bn.num_batches_tracked"].tolist())
print("running_var", [round(v, 5) for v in train_buffers["bn.running_var"].mean(1).tolist()])

# the same steps for member 0 with its own module agree
m0 = copy.deepcopy(members[0])
m0.drop.p = m0.drop_in.p = 0.0
m0.train()
opt = torch.optim.SGD(m0.parameters(), lr=lr)
for step in range(4):
    opt.zero_grad()
    F.cross_entropy(m0(x), y).backward()
    opt.step()
print("member 0 weights agree", torch.allclose(m0.fc2.weight, params["fc2.weight"][0], atol=1e-5))
print("member 0 running mean agrees", torch.allclose(m0.bn.running_mean, train_buffers["bn.running_mean"][0], atol=1e-5))
m0.eval()
base.eval()
print("eval after training", torch.allclose(m0(x), vmap(fmodel, in_dims=(0, 0, None))(params, train_buffers, x)[0], atol=1e-5))
