"""Parametrizations: a symmetric-matrix constraint with nn.utils.parametrize, weight_norm and
orthogonal from nn.utils.parametrizations.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize
from torch.nn.utils.parametrizations import orthogonal, weight_norm


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


torch.manual_seed(0)
layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", Symmetric())
A = layer.weight
print(torch.allclose(A, A.T), parametrize.is_parametrized(layer), parametrize.is_parametrized(layer, "bias"))
print(layer)
print(sorted(layer.state_dict().keys()))
opt = torch.optim.SGD(layer.parameters(), lr=0.1)
x = torch.randn(4, 3)
for _ in range(3):
    loss = layer(x).pow(2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"{loss.item():.4f}", torch.allclose(layer.weight, layer.weight.T))
wn = weight_norm(nn.Linear(4, 2))
print(sorted(n for n, _ in wn.named_parameters()))
print(wn.parametrizations.weight.original0.shape, wn.parametrizations.weight.original1.shape)
out = wn(torch.ones(1, 4))
out.sum().backward()
print(out.shape, wn.parametrizations.weight.original0.grad.shape)
q = orthogonal(nn.Linear(3, 3))
W = q.weight
print(torch.allclose(W @ W.T, torch.eye(3), atol=1e-5))
parametrize.remove_parametrizations(layer, "weight")
print(parametrize.is_parametrized(layer), type(layer.weight).__name__)
