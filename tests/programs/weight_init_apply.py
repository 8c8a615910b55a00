"""Custom weight initialisation with model.apply and torch.nn.init."""
import math

import torch
import torch.nn as nn


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        nn.init.constant_(m.bias, 0.1)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
model.apply(init_weights)
print(model[0].bias, model[1].weight, model[4].bias)
print(model[0].weight.shape, model[4].weight.shape)
bound = math.sqrt(6 / (64 + 3))
print(model[4].weight.abs().max().item() <= bound)
print(nn.init.calculate_gain("relu"), nn.init.calculate_gain("tanh"), nn.init.calculate_gain("leaky_relu", 0.2))
w = torch.empty(3, 5)
nn.init.eye_(w)
print(w)
nn.init.dirac_(torch.empty(2, 2, 3))
t = torch.empty(4, 4)
nn.init.orthogonal_(t)
print(torch.allclose(t @ t.T, torch.eye(4), atol=1e-5))
nn.init.trunc_normal_(t, std=0.02)
print(t.abs().max().item() <= 2.0)
