"""BatchNorm1d and Dropout switching between train() and eval(), running statistics, and
requires_grad_(False) to freeze a layer."""
import torch
import torch.nn as nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6, momentum=0.2), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 2))
X = torch.linspace(-1, 1, 24).reshape(8, 3)
net.train()
for _ in range(3):
    out = net[:3](X)
print(net[1].running_mean, net[1].running_var, net[1].num_batches_tracked)
net.eval()
out = net(X)
print(out.shape, net(X).equal(out))
print(net[1].weight.requires_grad)
net[0].requires_grad_(False)
print([p.requires_grad for p in net.parameters()])
opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
net.train()
loss = net[:3](X).pow(2).mean()
loss.backward()
print(net[0].weight.grad is None, net[1].weight.grad.shape)
bn = nn.BatchNorm1d(4, affine=False, track_running_stats=False)
print(bn(torch.arange(8.0).reshape(2, 4)))
