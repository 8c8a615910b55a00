"""vmap as torch's tutorials use it: per-sample gradients of a small CNN (dropout off, nll loss),
model ensembling over stacked parameters (the same minibatch and one minibatch per model),
batched Jacobians and Hessians, and vmap over a plain function with in_dims/out_dims.

tolerance: rtol=1e-4 atol=1e-5
"""
import copy
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, hessian, jacrev, stack_module_state, vmap

warnings.simplefilter("ignore")  # torch notes ops it batches by a loop
torch.manual_seed(0)


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.fc1 = nn.Linear(16 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


model = SimpleCNN()
data = torch.randn(8, 1, 14, 14)
targets = torch.randint(10, (8,))
params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(params, buffers, sample, target):
    batch = sample.unsqueeze(0)
    predictions = functional_call(model, (params, buffers), (batch,))
    return F.nll_loss(predictions, target.unsqueeze(0))


ft_per_sample_grads = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data, targets)
manual = []
for i in range(len(data)):
    model.zero_grad()
    compute_loss(params, buffers, data[i], targets[i])
    loss = F.nll_loss(model(data[i : i + 1]), targets[i : i + 1])
    loss.backward()
    manual.append({k: p.grad.clone() for k, p in model.named_parameters()})
for name, g in ft_per_sample_grads.items():
    ref = torch.stack([m[name] for m in manual])
    print(name, tuple(g.shape), torch.allclose(g, ref, atol=1e-5), f"{g.abs().sum().item():.4f}")

# model ensembling
models = [nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4)) for _ in range(5)]
minibatches = torch.randn(5, 7, 12)
minibatch = minibatches[0]
params, buffers = stack_module_state(models)
base = copy.deepcopy(models[0])


def fmodel(params, buffers, x):
    return functional_call(base, (params, buffers), (x,))


same = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
different = vmap(fmodel)(params, buffers, minibatches)
print(tuple(same.shape), torch.allclose(same, torch.stack([m(minibatch) for m in models]), atol=1e-6))
print(tuple(different.shape), torch.allclose(different, torch.stack([m(x) for m, x in zip(models, minibatches)]), atol=1e-6))
print(f"{same.sum().item():.5f} {different.sum().item():.5f}")

# batched Jacobians and Hessians
weight, bias = torch.randn(3, 3), torch.randn(3)


def predict(x):
    return torch.tanh(F.linear(x, weight, bias))


xs = torch.randn(4, 3)
jac = vmap(jacrev(predict))(xs)
print(tuple(jac.shape), f"{jac.sum().item():.5f}")
hess = vmap(hessian(lambda x: predict(x).pow(2).sum()))(xs)
print(tuple(hess.shape), f"{hess.sum().item():.5f}", torch.allclose(hess, hess.transpose(1, 2), atol=1e-6))

# in_dims / out_dims over a plain function
batched_dot = vmap(torch.dot)
print(batched_dot(torch.arange(6.0).view(2, 3), torch.ones(2, 3)))
rows = vmap(lambda a, b: a * b + a.sum(), in_dims=(1, None), out_dims=1)(torch.arange(6.0).view(2, 3), torch.tensor(2.0))
print(rows)
print(torch.vmap(lambda t: t.softmax(-1).max(), chunk_size=2)(torch.randn(5, 4)).shape)
