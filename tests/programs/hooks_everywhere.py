"""Forward hooks to collect activations, forward pre-hooks, full backward hooks, tensor hooks that
rescale a gradient, and removing hooks."""
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1) / 2)
activations = {}


def save_activation(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook


handles = [model[0].register_forward_hook(save_activation("fc1")), model[1].register_forward_hook(save_activation("relu"))]
pre = model[2].register_forward_pre_hook(lambda m, args: (args[0] * 2,))
grads = []
bh = model[2].register_full_backward_hook(lambda m, gin, gout: grads.append((gin[0].shape, gout[0].shape)))
x = torch.tensor([[1.0, -1.0, 0.5], [0.2, 0.3, -0.4]], requires_grad=True)
x.register_hook(lambda g: g * 10)
out = model(x)
out.sum().backward()
print(sorted(activations), activations["relu"])
print(out, x.grad)
print(grads)
for h in handles:
    h.remove()
pre.remove()
bh.remove()
activations.clear()
model(x)
print(activations)
y = torch.ones(2, requires_grad=True)
z = y * 3
z.register_hook(print)
z.sum().backward()
