"""Thread safety: grad modes are per thread; two threads training separate models give the
results of training them one after another (bit for bit)."""
from __future__ import annotations

import threading

import numpy as np

import kittygrad as kitty
from hardening._figures import record


def test_grad_mode_is_per_thread():
    ready, release = threading.Barrier(2), threading.Event()
    seen = {}

    def in_no_grad():
        with kitty.no_grad():
            ready.wait()
            release.wait(5)
            x = kitty.ones(2, requires_grad=True)
            seen["no_grad"] = (kitty.is_grad_enabled(), (x * 2).requires_grad)

    t = threading.Thread(target=in_no_grad)
    t.start()
    ready.wait()  # the other thread is inside no_grad now
    x = kitty.ones(2, requires_grad=True)
    seen["main"] = (kitty.is_grad_enabled(), (x * 2).requires_grad)
    with kitty.set_grad_enabled(False):
        release.set()
        t.join()
    assert seen == {"no_grad": (False, False), "main": (True, True)}
    assert kitty.is_grad_enabled()


def test_new_thread_starts_with_grad_enabled():
    out = []
    with kitty.no_grad():
        t = threading.Thread(target=lambda: out.append(kitty.is_grad_enabled()))
        t.start()
        t.join()
    assert out == [True]


def _train(seed, steps=150, barrier=None):
    rng = np.random.default_rng(seed)
    model = kitty.nn.Sequential(kitty.nn.Linear(6, 16), kitty.nn.Tanh(), kitty.nn.Linear(16, 3))
    with kitty.no_grad():
        for p in model.parameters():
            p.copy_(kitty.tensor(rng.standard_normal(tuple(p.shape)) * 0.4, dtype=p.dtype))
    opt = kitty.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = kitty.tensor(rng.standard_normal((32, 6)), dtype=kitty.float32)
    y = kitty.tensor(rng.integers(0, 3, 32))
    losses = []
    for i in range(steps):
        if barrier is not None and i % 10 == 0:
            barrier.wait()  # interleave the two threads' steps
        opt.zero_grad()
        loss = kitty.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if i % 2:  # an evaluation under no_grad in the middle of training
            with kitty.no_grad():
                losses.append(float(kitty.nn.functional.cross_entropy(model(x), y)))
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_two_threads_train_like_one_after_another():
    sequential = [_train(1), _train(2)]
    results = [None, None]
    errors = []
    barrier = threading.Barrier(2)

    def work(i):
        try:
            results[i] = _train(i + 1, barrier=barrier)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for (seq_losses, seq_params), (thr_losses, thr_params) in zip(sequential, results):
        assert seq_losses == thr_losses
        for a, b in zip(seq_params, thr_params):
            np.testing.assert_array_equal(a, b)
    record("threads", "2 threads x 150 SGD steps: bit-identical to sequential; grad mode per thread")
