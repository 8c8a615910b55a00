"""End-to-end training on sklearn's digits: an MLP and a CNN (Conv2d + pooling + BatchNorm)
each reach >= 95% test accuracy in a few seconds."""
from __future__ import annotations

import contextlib
import time

import numpy as np
import pytest

import kittygrad as kitty
import kittygrad.nn as nn
import kittygrad.nn.functional as F

datasets = pytest.importorskip("sklearn.datasets")

try:  # sklearn brings threadpoolctl
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None


def _one_blas_thread():
    """These matrices are small: on a busy 2-core machine, OpenBLAS's worker threads cost more
    (spinning, contention) than they save, up to 6x per training step. One thread is faster."""
    if threadpool_limits is None:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class _Adam:
    """A minimal Adam, used only when kittygrad.optim is not available."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0
        self.m = [np.zeros_like(p.detach().numpy()) for p in self.params]
        self.v = [np.zeros_like(p.detach().numpy()) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            g = p.grad.numpy()
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            mhat = m / (1 - b1**self.t)
            vhat = v / (1 - b2**self.t)
            with kitty.no_grad():
                p.sub_(kitty.tensor(self.lr * mhat / (np.sqrt(vhat) + self.eps), dtype=p.dtype))


def make_adam(params, lr):
    optim = getattr(kitty, "optim", None)
    if optim is not None and hasattr(optim, "Adam"):
        return optim.Adam(params, lr=lr)
    return _Adam(params, lr=lr)


@pytest.fixture(scope="module")
def digits():
    data = datasets.load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    n_train = 1400
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _train(model, x_train, y_train, epochs, batch, lr, image=False):
    opt = make_adam(model.parameters(), lr)
    rng = np.random.default_rng(1)
    n = len(x_train)
    for _ in range(epochs):
        model.train()
        order = rng.permutation(n)
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            xb = x_train[idx]
            xb = kitty.tensor(xb.reshape(-1, 1, 8, 8) if image else xb)
            loss = F.cross_entropy(model(xb), kitty.tensor(y_train[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


def _accuracy(model, x, y, image=False):
    model.eval()
    with kitty.no_grad():
        logits = model(kitty.tensor(x.reshape(-1, 1, 8, 8) if image else x))
    return float((logits.numpy().argmax(1) == y).mean())


def test_mlp_digits(digits):
    x_tr, y_tr, x_te, y_te = digits
    kitty.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))
    start = time.perf_counter()
    with _one_blas_thread():
        _train(model, x_tr, y_tr, epochs=15, batch=32, lr=2e-3)
    elapsed = time.perf_counter() - start
    acc = _accuracy(model, x_te, y_te)
    print(f"MLP: test accuracy {acc:.3f} after {elapsed:.2f}s of training")
    assert acc >= 0.95, f"MLP test accuracy {acc:.3f}"
    assert elapsed < 20, f"MLP training took {elapsed:.1f}s"


def test_cnn_digits(digits):
    x_tr, y_tr, x_te, y_te = digits
    kitty.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10),
    )
    start = time.perf_counter()
    with _one_blas_thread():
        _train(model, x_tr, y_tr, epochs=6, batch=32, lr=3e-3, image=True)
    elapsed = time.perf_counter() - start
    acc = _accuracy(model, x_te, y_te, image=True)
    print(f"CNN: test accuracy {acc:.3f} after {elapsed:.2f}s of training")
    assert acc >= 0.95, f"CNN test accuracy {acc:.3f}"
    assert elapsed < 40, f"CNN training took {elapsed:.1f}s"
