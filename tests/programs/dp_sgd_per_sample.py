"""DP-SGD on a small CNN: per-sample gradients with vmap(grad(...)) through conv2d, max_pool2d,
a linear head and cross_entropy, per-sample clipping to a norm bound, Gaussian noise, and a few
training steps; the per-sample gradients are checked against a loop of ordinary backward passes.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

torch.manual_seed(0)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.fc = nn.Linear(8 * 2 * 2, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.elu(self.conv2(x)), 2, ceil_mode=True)
        return self.fc(torch.flatten(x, 1))


model = SmallCNN()
images = torch.randn(32, 1, 10, 10)
labels = (images[:, 0, :5].mean((1, 2)) > 0).long() + (images[:, 0, 5:].mean((1, 2)) > 0.1).long()
print("label counts", torch.bincount(labels, minlength=3).tolist())


def loss_single(params, buffers, x, y):
    out = functional_call(model, (params, buffers), (x.unsqueeze(0),))
    return F.cross_entropy(out, y.unsqueeze(0))


per_sample_grad = vmap(grad(loss_single), in_dims=(None, None, 0, 0))

params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}
grads = per_sample_grad(params, buffers, images[:6], labels[:6])
for name, g in grads.items():
    loop = []
    for i in range(6):
        model.zero_grad()
        F.cross_entropy(model(images[i : i + 1]), labels[i : i + 1]).backward()
        loop.append(dict(model.named_parameters())[name].grad.clone())
    print(name, tuple(g.shape), torch.allclose(g, torch.stack(loop), atol=1e-6), f"{g.norm().item():.5f}")

max_norm, noise_multiplier, lr, batch = 1.0, 0.8, 0.5, 16
gen = torch.Generator().manual_seed(123)
for step in range(6):
    idx = torch.randperm(len(images), generator=gen)[:batch]
    x, y = images[idx], labels[idx]
    g = per_sample_grad(params, buffers, x, y)
    norms = torch.sqrt(sum(v.flatten(1).pow(2).sum(1) for v in g.values()))
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    clipped = {k: v * scale.view(-1, *([1] * (v.dim() - 1))) for k, v in g.items()}
    new = {}
    for k, v in clipped.items():
        noise = torch.randn(v.shape[1:], generator=gen) * noise_multiplier * max_norm
        new[k] = params[k] - lr * (v.sum(0) + noise) / batch
    params = new
    with torch.no_grad():
        loss = F.cross_entropy(functional_call(model, params, (images,)), labels)
    print(f"step {step} loss {loss.item():.5f} clipped {(norms > max_norm).sum().item()}/{batch}",
          f"median norm {norms.median().item():.5f}")

with torch.no_grad():
    preds = functional_call(model, params, (images,)).argmax(1)
print("train accuracy", f"{(preds == labels).float().mean().item():.4f}")
# the mean of clipped per-sample gradients never exceeds the bound
print("bounded", all(n <= max_norm + 1e-5 for n in (norms * scale).tolist()))
