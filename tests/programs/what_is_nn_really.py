"""The "What is torch.nn really?" tutorial, step by step, on synthetic 8x8 "digits": a model from
scratch (weights = torch.randn(...) / math.sqrt(n) then requires_grad_(), a hand-written
log_softmax, nll via input[range(n), target], manual SGD under torch.no_grad() with grad.zero_()),
then refactored with F.cross_entropy, nn.Module with nn.Parameter, nn.Linear, optim, TensorDataset
and DataLoader, the fit()/loss_batch()/get_data() functions with validation loss weighted by
batch sizes (zip(*[...]) and NumPy sums), a Lambda module, a CNN with xb.view(-1, 1, 8, 8),
F.avg_pool2d and nn.AdaptiveAvgPool2d, and the WrappedDataLoader generator.

tolerance: rtol=2e-3 atol=1e-5
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
N_TRAIN, N_VALID, D, C = 256, 64, 64, 4
protos = torch.randn(C, D)
y_all = torch.randint(0, C, (N_TRAIN + N_VALID,))
x_all = (protos[y_all] + 1.5 * torch.randn(N_TRAIN + N_VALID, D)).sigmoid()
x_train, y_train = x_all[:N_TRAIN], y_all[:N_TRAIN]
x_valid, y_valid = x_all[N_TRAIN:], y_all[N_TRAIN:]
n, c = x_train.shape
print(x_train, y_train)
print(x_train.shape, y_train.min(), y_train.max())

# -- from scratch
weights = torch.randn(D, C) / math.sqrt(D)
weights.requires_grad_()
bias = torch.zeros(C, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


bs = 32
xb = x_train[0:bs]
preds = model(xb)
print(preds[0], preds.shape)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


loss_func = nll
yb = y_train[0:bs]
print(loss_func(preds, yb))


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


print(accuracy(preds, yb))
lr, epochs = 0.5, 2
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
print(loss_func(model(xb), yb), accuracy(model(xb), yb))

# -- refactoring: F.cross_entropy, nn.Module, nn.Linear, optim, Dataset, DataLoader
loss_func = F.cross_entropy


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(D, C) / math.sqrt(D))
        self.bias = nn.Parameter(torch.zeros(C))

    def forward(self, xb):
        return xb @ self.weights + self.bias


model = Mnist_Logistic()
print(loss_func(model(xb), yb))
with torch.no_grad():
    for p in model.parameters():
        p -= p.grad * lr if p.grad is not None else 0.0
print(model.weights.grad is None)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        print(epoch, f"{val_loss:.5f}", nums)


def get_data(train_ds, valid_ds, bs):
    return (DataLoader(train_ds, batch_size=bs, shuffle=True),
            DataLoader(valid_ds, batch_size=bs * 2))


train_ds = TensorDataset(x_train, y_train)
valid_ds = TensorDataset(x_valid, y_valid)
print(train_ds[0][0].shape, train_ds[:2][1])
train_dl, valid_dl = get_data(train_ds, valid_ds, 20)

model = nn.Linear(D, C)
opt = optim.SGD(model.parameters(), lr=lr)
fit(3, model, loss_func, opt, train_dl, valid_dl)


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x):
    return x.view(-1, 1, 8, 8)


class Mnist_CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 8, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(8, C, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 8, 8)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 1)
        return xb.view(-1, xb.size(1))


model = Mnist_CNN()
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
fit(2, model, loss_func, opt, train_dl, valid_dl)

model = nn.Sequential(
    Lambda(preprocess),
    nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(8, 8, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(8, C, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
print(model)


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


train_dl = WrappedDataLoader(train_dl, lambda x, y: (x.view(-1, 1, 8, 8), y))
valid_dl = WrappedDataLoader(valid_dl, lambda x, y: (x.view(-1, 1, 8, 8), y))
print(len(train_dl), len(valid_dl))
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
fit(3, model, loss_func, opt, train_dl, valid_dl)
with torch.no_grad():
    out = model(x_valid[:5])
print(out, accuracy(model(x_valid), y_valid))
