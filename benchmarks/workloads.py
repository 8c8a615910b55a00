"""The workloads. Each returns three zero-argument callables doing one iteration:
the hand-written NumPy floor (forward + hand-derived backward), PyTorch eager, and kittygrad."""
from __future__ import annotations

import numpy as np

import kittygrad as kitty

RNG = np.random.default_rng(0)


def tiny_chain():
    """(a*b + c).sum() forward+backward on 4x4 float32."""
    a0, b0, c0 = (RNG.standard_normal((4, 4)).astype(np.float32) for _ in range(3))

    def floor():
        out = (a0 * b0 + c0).sum()
        g = np.ones_like(a0)
        return out, g * b0, g * a0, g

    import torch

    ta, tb, tc = (torch.tensor(x, requires_grad=True) for x in (a0, b0, c0))

    def torch_step():
        ta.grad = tb.grad = tc.grad = None
        (ta * tb + tc).sum().backward()

    ka, kb, kc = (kitty.tensor(x, requires_grad=True) for x in (a0, b0, c0))

    def kitty_step():
        ka.grad = kb.grad = kc.grad = None
        (ka * kb + kc).sum().backward()

    return floor, torch_step, kitty_step


def long_chain(n_ops: int = 10_000):
    """A chain of n_ops elementwise ops (alternating mul and add) forward+backward, 16 floats."""
    x0 = RNG.standard_normal(16).astype(np.float32)
    half = n_ops // 2

    def floor():
        x = x0
        for _ in range(half):
            x = x * np.float32(1.0001)
            x = x + np.float32(0.001)
        g = np.ones_like(x0)
        for _ in range(half):
            g = g * np.float32(1.0001)  # add passes g through; mul scales it
        return x, g

    import torch

    tx = torch.tensor(x0, requires_grad=True)

    def torch_step():
        tx.grad = None
        x = tx
        for _ in range(half):
            x = x * 1.0001
            x = x + 0.001
        x.sum().backward()

    kx = kitty.tensor(x0, requires_grad=True)

    def kitty_step():
        kx.grad = None
        x = kx
        for _ in range(half):
            x = x * 1.0001
            x = x + 0.001
        x.sum().backward()

    return floor, torch_step, kitty_step


def _mlp_data(batch=128):
    x = RNG.standard_normal((batch, 784)).astype(np.float32)
    y = RNG.integers(0, 10, batch)
    return x, y


def _init_mlp(sizes=(784, 256, 128, 10)):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(RNG.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(RNG.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


def mlp_step(with_torch: bool = True):
    """784-256-128-10 MLP, ReLU, cross-entropy, batch 128, one SGD step, float32."""
    x0, y0 = _mlp_data()
    init = _init_mlp()
    lr = 0.01

    params = [p.copy() for p in init]

    def floor():
        w1, b1, w2, b2, w3, b3 = params
        h1 = x0 @ w1.T + b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w2.T + b2
        a2 = np.maximum(h2, 0)
        logits = a2 @ w3.T + b3
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        logp = logits - m - np.log(s)
        n = len(y0)
        loss = -logp[np.arange(n), y0].mean()
        g = e / s
        g[np.arange(n), y0] -= 1
        g /= n
        gw3, gb3 = g.T @ a2, g.sum(0)
        g = (g @ w3) * (h2 > 0)
        gw2, gb2 = g.T @ a1, g.sum(0)
        g = (g @ w2) * (h1 > 0)
        gw1, gb1 = g.T @ x0, g.sum(0)
        for p, gp in zip(params, (gw1, gb1, gw2, gb2, gw3, gb3)):
            p -= lr * gp
        return loss

    def make(lib):
        model = lib.nn.Sequential(
            lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 128), lib.nn.ReLU(), lib.nn.Linear(128, 10)
        )
        with lib.no_grad():
            for p, v in zip(model.parameters(), init):
                p.copy_(lib.tensor(v))
        opt = lib.optim.SGD(model.parameters(), lr=lr)
        x, y = lib.tensor(x0), lib.tensor(y0)
        loss_fn = lib.nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

        return step

    if not with_torch:  # the memory probe must not pay for importing torch
        return floor, None, make(kitty)
    import torch

    return floor, make(torch), make(kitty)


def _im2col(x, k):
    n, c, h, w = x.shape
    s = x.strides
    cols = np.lib.stride_tricks.as_strided(
        x, (n, c, h - k + 1, w - k + 1, k, k), (s[0], s[1], s[2], s[3], s[2], s[3]), writeable=False
    )
    return cols


def cnn_step():
    """(32,1,28,28) -> Conv2d 1->8 3x3 -> ReLU -> Conv2d 8->16 3x3 -> sum, forward+backward."""
    x0 = RNG.standard_normal((32, 1, 28, 28)).astype(np.float32)
    w1 = (RNG.standard_normal((8, 1, 3, 3)) / 3).astype(np.float32)
    w2 = (RNG.standard_normal((16, 8, 3, 3)) / 8).astype(np.float32)

    def floor():
        c1 = _im2col(x0, 3)  # n c h w kh kw
        h1 = np.einsum("nchwij,ocij->nohw", c1, w1, optimize=True)
        a1 = np.maximum(h1, 0)
        c2 = _im2col(a1, 3)
        out = np.einsum("nchwij,ocij->nohw", c2, w2, optimize=True)
        g = np.ones_like(out)
        gw2 = np.einsum("nchwij,nohw->ocij", c2, g, optimize=True)
        # gradient w.r.t. a1: full correlation of g with flipped w2
        gp = np.pad(g, ((0, 0), (0, 0), (2, 2), (2, 2)))
        ga1 = np.einsum("nohwij,ocij->nchw", _im2col(gp, 3), w2[:, :, ::-1, ::-1], optimize=True)
        gh1 = ga1 * (h1 > 0)
        gw1 = np.einsum("nchwij,nohw->ocij", c1, gh1, optimize=True)
        return out.sum(), gw1, gw2

    def make(lib):
        conv1 = lib.nn.Conv2d(1, 8, 3, bias=False)
        conv2 = lib.nn.Conv2d(8, 16, 3, bias=False)
        with lib.no_grad():
            conv1.weight.copy_(lib.tensor(w1))
            conv2.weight.copy_(lib.tensor(w2))
        x = lib.tensor(x0)

        def step():
            conv1.weight.grad = conv2.weight.grad = None
            conv2(conv1(x).relu()).sum().backward()

        return step

    import torch

    return floor, make(torch), make(kitty)


def _example_module(lib_name: str):
    """The char-transformer example's model code, imported for kittygrad or (same source) torch."""
    import sys
    import types
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "char_transformer.py"
    sys.path.insert(0, str(path.parent))
    src = path.read_text()
    if lib_name == "torch":
        src = (
            src.replace("import kittygrad as kitty", "import torch as kitty")
            .replace("import kittygrad.nn as nn", "import torch.nn as nn")
            .replace("import kittygrad.nn.functional as F", "import torch.nn.functional as F")
        )
    module = types.ModuleType(f"char_transformer_{lib_name}")
    module.__file__ = str(path)
    exec(compile(src, str(path), "exec"), module.__dict__)
    return module


def char_transformer_step(batch: int = 32, context: int = 64, vocab: int = 65):
    """One training step of examples/char_transformer.py's model (3 blocks, dim 96), AdamW."""
    ids = RNG.integers(0, vocab, (batch, context + 1))

    def make(lib):
        module = _example_module(lib.__name__)
        lib.manual_seed(0)
        model = module.CharGPT(vocab, context, dim=96, heads=4, layers=3)
        opt = lib.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
        x, y = lib.tensor(ids[:, :-1]), lib.tensor(ids[:, 1:])

        def step():
            loss = lib.nn.functional.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()

        return step

    import torch

    kitty_step = make(kitty)
    torch_step = make(torch)
    return None, torch_step, kitty_step


WORKLOADS = {
    "tiny-op chain (a*b+c).sum(), 4x4": (tiny_chain, 5.0, "floor"),
    "MLP step 784-256-128-10, batch 128": (mlp_step, 1.05, "floor"),
    "CNN step 2 convs, (32,1,28,28)": (cnn_step, 1.5, "torch"),
    "10,000-op elementwise chain": (long_chain, 3.0, "floor"),
    "char-transformer step (examples/char_transformer.py)": (char_transformer_step, None, "torch"),
}
