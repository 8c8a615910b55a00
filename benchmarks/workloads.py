"""The workloads.

``WORKLOADS`` (for ``python -m benchmarks``): each returns three zero-argument callables doing one
iteration: the hand-written NumPy floor (forward + hand-derived backward), PyTorch eager, and kittygrad,
all in one process.

``TABLE`` (for ``python -m benchmarks workloads``, the workload table of issue 18): each library in its
own process, the model code identical with the module swapped (every builder takes ``lib``, which is
``kittygrad`` or ``torch``). Nothing here imports kittygrad or torch at module level.
"""
from __future__ import annotations

import sys

import numpy as np

RNG = np.random.default_rng(0)


def tiny_chain():
    """(a*b + c).sum() forward+backward on 4x4 float32."""
    import kittygrad as kitty

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
    import kittygrad as kitty

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


def _mlp_parts():
    """The MLP's NumPy floor step and ``make(lib)`` of its library step (the same data and weights)."""
    x0, y0 = _mlp_data()
    init = _init_mlp()
    lr = 0.01

    params = [p.copy() for p in init]
    # NumPy's maximum runs in SIMD between two arrays, not against a number: ReLU against zeros
    zeros1, zeros2 = np.zeros((len(x0), 256), np.float32), np.zeros((len(x0), 128), np.float32)

    def floor():
        w1, b1, w2, b2, w3, b3 = params
        h1 = x0 @ w1.T + b1
        a1 = np.maximum(h1, zeros1)
        h2 = a1 @ w2.T + b2
        a2 = np.maximum(h2, zeros2)
        logits = a2 @ w3.T + b3
        m = logits.max(axis=1, keepdims=True, initial=-np.inf)  # (initial: NumPy's faster loop)
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

    return floor, make


def mlp_step(with_torch: bool = True):
    """784-256-128-10 MLP, ReLU, cross-entropy, batch 128, one SGD step, float32."""
    floor, make = _mlp_parts()
    import kittygrad as kitty

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
    import kittygrad as kitty

    x0 = RNG.standard_normal((32, 1, 28, 28)).astype(np.float32)
    w1 = (RNG.standard_normal((8, 1, 3, 3)) / 3).astype(np.float32)
    w2 = (RNG.standard_normal((16, 8, 3, 3)) / 8).astype(np.float32)

    zeros1 = np.zeros((32, 8, 26, 26), np.float32)  # ReLU against zeros: SIMD (against 0 it is not)

    def floor():
        c1 = _im2col(x0, 3)  # n c h w kh kw
        h1 = np.einsum("nchwij,ocij->nohw", c1, w1, optimize=True)
        a1 = np.maximum(h1, zeros1)
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


def _example_module(lib_name: str, gelu_tanh: bool = False):
    """The char-transformer example's model code, imported for kittygrad or (same source) torch.
    With ``gelu_tanh``, its ``nn.GELU()`` is swapped for ``TanhGELU()`` (see ``_tanh_gelu``)."""
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
        if "kittygrad" not in sys.modules and "_text" not in sys.modules:
            # the example's text helpers import kittygrad; a torch-only process needs none of them
            stub = types.ModuleType("_text")
            stub.CharData = stub.load_text = None
            sys.modules["_text"] = stub
    module = types.ModuleType(f"char_transformer_{lib_name}")
    module.__file__ = str(path)
    if gelu_tanh:
        assert "nn.GELU()" in src
        src = src.replace("nn.GELU()", "TanhGELU()")
        module.TanhGELU = _tanh_gelu(sys.modules[lib_name])
    exec(compile(src, str(path), "exec"), module.__dict__)
    return module


def _tanh_gelu(lib):
    """GELU written out with elementwise ops: 0.5*x*(1+tanh(c*(x+0.044715*pow(x,3))))."""
    c = 0.7978845608028654  # sqrt(2 / pi)

    class TanhGELU(lib.nn.Module):
        def forward(self, x):
            return 0.5 * x * (1 + lib.tanh(c * (x + 0.044715 * lib.pow(x, 3))))

    return TanhGELU


def char_transformer_step(batch: int = 32, context: int = 64, vocab: int = 65):
    """One training step of examples/char_transformer.py's model (3 blocks, dim 96), AdamW."""

    def make(lib):
        return gpt_model(lib, batch=batch, context=context, vocab=vocab)

    import torch

    import kittygrad as kitty

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


# ---------------------------------------------------------------------------------------------
# The workload table of issue 18: ``python -m benchmarks workloads [--smoke] [--out FILE]``.
# Each builder takes the library module and returns one training step; the parent runs one process
# per (workload, library), so peak RSS is per process and the torch process never loads kittygrad.
# ---------------------------------------------------------------------------------------------
def gpt_model(lib, gelu_tanh: bool = False, batch: int = 32, context: int = 64, vocab: int = 65):
    """examples/char_transformer.py's CharGPT (3 blocks, dim 96, 4 heads), one AdamW step."""
    ids = np.random.default_rng(0).integers(0, vocab, (batch, context + 1))
    module = _example_module(lib.__name__, gelu_tanh)
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


def _lm_step(lib, model, x, y, lr=0.1):
    opt = lib.optim.SGD(model.parameters(), lr=lr)

    def step():
        logits = model(x)
        loss = lib.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def mlp_lm_model(lib, vocab: int = 65, context: int = 8, emb: int = 32, hidden: int = 256, batch: int = 256):
    """Bengio-style MLP language model: embeddings of the context -> concatenated -> tanh MLP -> next id."""
    nn = lib.nn
    ids = np.random.default_rng(1).integers(0, vocab, (batch, context + 1))

    class MLPLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, emb)
            self.hidden = nn.Linear(context * emb, hidden)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, x):
            e = self.emb(x).reshape(x.shape[0], context * emb)  # the concatenation of the context
            return self.out(lib.tanh(self.hidden(e)))

    lib.manual_seed(0)
    return _lm_step(lib, MLPLM(), lib.tensor(ids[:, :-1]), lib.tensor(ids[:, -1]))


def recurrent_lm_model(lib, cell: str = "GRU", vocab: int = 65, emb: int = 32, hidden: int = 128, seq: int = 32,
                       batch: int = 32):
    """Embedding -> one-layer RNN / GRU (batch_first) -> linear head, next-id loss at every position."""
    nn = lib.nn
    ids = np.random.default_rng(2).integers(0, vocab, (batch, seq + 1))

    class RecurrentLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, emb)
            self.rnn = getattr(nn, cell)(emb, hidden, batch_first=True)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, x):
            h, _ = self.rnn(self.emb(x))
            return self.out(h)

    lib.manual_seed(0)
    return _lm_step(lib, RecurrentLM(), lib.tensor(ids[:, :-1]), lib.tensor(ids[:, 1:]))


def cnn_model(lib, batch: int = 32):
    """(32,1,28,28): conv 1->8 3x3 -> ReLU -> maxpool 2 -> conv 8->16 3x3 -> ReLU -> maxpool 2 -> linear 10."""
    nn = lib.nn
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y0 = rng.integers(0, 10, batch)
    lib.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
    )
    return _lm_step(lib, model, lib.tensor(x0), lib.tensor(y0), lr=0.01)


def mlp_model(lib):
    """784-256-128-10 MLP, ReLU, cross-entropy, batch 128, one SGD step (``lib=None``: the NumPy floor)."""
    floor, make = _mlp_parts()
    return floor if lib is None else make(lib)


def chain_model(lib, n_ops: int = 10_000):
    """A chain of n_ops elementwise ops on 16 floats (alternating * 1.0001 and + 0.001), then backward."""
    x0 = np.random.default_rng(4).standard_normal(16).astype(np.float32)
    tx = lib.tensor(x0, requires_grad=True)
    half = n_ops // 2

    def step():
        tx.grad = None
        x = tx
        for _ in range(half):
            x = x * 1.0001
            x = x + 0.001
        x.sum().backward()

    return step


def build_heap(n: int = 100_000) -> list:
    """A large user heap: n small dicts, each holding a list: 2n objects the cyclic GC tracks."""
    return [{"id": i, "tags": []} for i in range(n)]


#: key -> (title, builder(lib), floor?, build a large heap first?, target for kitty/torch)
TABLE = {
    "gpt": ("char-level GPT step (examples/char_transformer.py, nn.GELU)", gpt_model, False, False, 1.5),
    "gpt_tanh": ("char-level GPT step, GELU as `0.5*x*(1+tanh(c*(x+0.044715*pow(x,3))))`",
                 lambda lib: gpt_model(lib, gelu_tanh=True), False, False, 1.5),
    "mlp_lm": ("MLP language model (embeddings -> concat -> MLP), batch 256", mlp_lm_model, False, False, 1.5),
    "rnn_lm": ("RNN language model (emb 32, hidden 128, 32 steps, batch 32)",
               lambda lib: recurrent_lm_model(lib, "RNN"), False, False, 1.5),
    "gru_lm": ("GRU language model (emb 32, hidden 128, 32 steps, batch 32)",
               lambda lib: recurrent_lm_model(lib, "GRU"), False, False, 1.5),
    "cnn": ("CNN step on (32,1,28,28): two 3x3 convs, max-pools, linear", cnn_model, False, False, 1.5),
    "mlp": ("MLP 784-256-128-10 step, batch 128", mlp_model, True, False, 1.5),
    "chain": ("10,000-op elementwise chain, alone", chain_model, False, False, None),
    "chain_heap": ("10,000-op elementwise chain, with 200k GC-tracked objects", chain_model, False, True, None),
}
SMOKE = ("mlp", "chain", "chain_heap")


def _measure_chain(step, sample_s: float, repeats: int) -> dict:
    """The chain's time, from samples of at least 1 s: its cost includes the cyclic GC's full
    collections, which come every few steps, so short samples would hold 0, 1 or 2 of them by
    chance; also how many full (generation-2) collections ran per step, and what each cost."""
    import gc
    import time

    from benchmarks.ops import measure

    calls, full, started = [0], [0, 0.0], [0.0]

    def counted():
        calls[0] += 1
        step()

    def watch(phase, info):
        if info["generation"] == 2:
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                full[0] += 1
                full[1] += time.perf_counter() - started[0]

    gc.callbacks.append(watch)
    try:
        ms = 1e3 * measure(counted, max(sample_s, 1.0), repeats)
    finally:
        gc.callbacks.remove(watch)
    return {"ms": ms, "error": None, "full_gc_per_step": full[0] / calls[0],
            "full_gc_ms": 1e3 * full[1] / full[0] if full[0] else 0.0}


def _worker(side: str, names: list, sample_s: float, repeats: int, chain_ops: int = 10_000, threads: int = 1) -> dict:
    import gc
    import resource

    from benchmarks.ops import _limit_threads, measure, warm_allocator

    blas = _limit_threads(threads)
    if side == "floor":
        # the libraries run as a user's script gets them (kittygrad sets glibc's thresholds at import,
        # see kittygrad._allocator; torch does not); the hand-written floor is given the same heap
        warm_allocator()
    if side == "kitty":
        import kittygrad as lib
    elif side == "torch":
        import torch as lib

        lib.set_num_threads(threads)
    else:
        lib = None
    results = {}
    heap = None
    for name in names:
        _, builder, _, with_heap, _ = TABLE[name]
        if with_heap and heap is None:
            before = len(gc.get_objects())
            heap = build_heap()
            results["heap_objects"] = len(gc.get_objects()) - before
        try:
            if builder is chain_model:
                results[name] = _measure_chain(builder(lib, chain_ops), sample_s, repeats)
                continue
            step = builder(lib)
            ms = 1e3 * measure(step, sample_s, repeats)
            results[name] = {"ms": ms, "error": None}
        except Exception as e:  # noqa: BLE001 - a workload needing a missing feature
            results[name] = {"ms": None, "error": f"{type(e).__name__}: {str(e)[:100]}"}
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["meta"] = {
        "blas": blas, "torch_imported": "torch" in sys.modules, "kittygrad_imported": "kittygrad" in sys.modules,
        "version": getattr(lib, "__version__", np.__version__) if lib is not None else np.__version__,
        "threads": lib.get_num_threads() if side == "torch" else threads,
    }
    del heap
    return results


def _threads_text(threads: int) -> str:
    return "one BLAS thread" if threads == 1 else f"{threads} BLAS threads (torch: {threads} threads)"


def _run(side, names, args, tmp):
    import json
    import subprocess
    import time

    from benchmarks.ops import ROOT, _env

    out = tmp / f"{side}-{'-'.join(names)}.json"
    cmd = [sys.executable, "-m", "benchmarks.workloads", "--worker", side, "--names", ",".join(names),
           "--sample", str(args.sample), "--repeats", str(args.repeats), "--worker-out", str(out),
           "--chain-ops", str(args.chain_ops), "--threads", str(args.threads)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=_env(args.threads), capture_output=True, text=True)
    if proc.returncode:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {n: {"ms": None, "error": f"process failed: {tail}"} for n in names} | {"meta": {}}
    print(f"  {side} {','.join(names)}: {time.perf_counter() - t0:.0f} s", flush=True)
    return json.loads(out.read_text())


def merged_rounds(rounds: list, name: str) -> dict:
    """One (library, workload)'s result from several rounds of its process: the first round's (its
    peak RSS, meta), with the workload's ``ms`` the median of the rounds that timed it.

    >>> merged_rounds([{"mlp": {"ms": 3.0}, "peak_rss_mb": 90}, {"mlp": {"ms": 1.0}}, {"mlp": {"ms": 2.0}}], "mlp")
    {'mlp': {'ms': 2.0, 'rounds_ms': [3.0, 1.0, 2.0]}, 'peak_rss_mb': 90}
    """
    from benchmarks.ops import median_of_rounds

    return dict(rounds[0], **median_of_rounds([{name: r.get(name, {})} for r in rounds]))


def _fmt(v, digits=2):
    return "—" if v is None else f"{v:.{digits}f}"


def render(res, names, facts, args, seconds) -> str:
    from benchmarks.ops import FLOOR_ROUNDS, _fmt_ms

    def ms(side, name):
        return res.get((side, name), {}).get(name, {}).get("ms")

    def rss(side, name):
        return res.get((side, name), {}).get("peak_rss_mb")

    kmeta = next((r["meta"] for (s, _), r in res.items() if s == "kitty" and r.get("meta")), {})
    tmeta = next((r["meta"] for (s, _), r in res.items() if s == "torch" and r.get("meta")), {})
    lines = [
        "# Workload table",
        "",
        f"`python -m benchmarks workloads{' ' + ' '.join(args.argv) if args.argv else ''}` — one training step "
        f"(forward, backward, optimizer step) per workload, float32, {_threads_text(args.threads)}; every (workload, library) in "
        "its own process, the model code identical with the module swapped (`lib` is kittygrad or torch); median "
        f"of {args.repeats} samples of ~{args.sample:.2f} s"
        + ("" if args.smoke else f"; a workload with a NumPy floor runs in {FLOOR_ROUNDS} rounds, kittygrad's process "
           "and the floor's taking turns, and each figure is the median of its rounds")
        + f"; run took {seconds:.0f} s.",
        "",
        f"- CPU: {facts['cpu']} ({facts['cpus']} logical CPUs, shared machine)",
        f"- Python {facts['python']}, NumPy {facts['numpy']} (BLAS: {facts['numpy_blas']}); at run time: "
        f"{kmeta.get('blas', '?')}",
        f"- kittygrad {kmeta.get('version', '?')} (torch imported in its processes: {kmeta.get('torch_imported')}); "
        f"torch {tmeta.get('version', '?')}, {tmeta.get('threads')} thread(s) (kittygrad imported in its processes: "
        f"{tmeta.get('kittygrad_imported')})",
        "- each library runs as a user's script gets it: kittygrad sets glibc's malloc thresholds at import "
        "(arrays up to 32 MiB from the heap, see `kittygrad._allocator`), torch leaves them as they are; the "
        "NumPy floor's process first allocates and frees one 31 MiB block, which takes glibc's adaptive "
        "thresholds to the same place; peak RSS is `ru_maxrss` of the process, imports included.",
        "",
        "| workload | kittygrad ms | torch ms | kitty/torch | target | peak RSS kitty / torch (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        title, _, _, _, target = TABLE[name]
        title = title.replace("10,000", f"{args.chain_ops:,}")
        k, t = ms("kitty", name), ms("torch", name)
        errs = [f"{s}: {res[(s, name)][name]['error']}" for s in ("kitty", "torch")
                if (s, name) in res and res[(s, name)].get(name, {}).get("error")]
        ratio = k / t if k and t else None
        mark = "" if target is None or ratio is None else f"≤ {target}×: {'met' if ratio <= target else 'NOT met'}"
        lines.append(f"| {title}{' (' + '; '.join(errs) + ')' if errs else ''} | {_fmt_ms(k)} | {_fmt_ms(t)} | "
                     f"{_fmt(ratio)}× | {mark} | {_fmt(rss('kitty', name), 0)} / {_fmt(rss('torch', name), 0)} |")
    lines += ["", "## Against the targets", ""]
    if "mlp" in names:
        k, f = ms("kitty", "mlp"), ms("floor", "mlp")
        r = k / f if k and f else None
        lines.append(f"- MLP 784-256-128-10 against its hand-written NumPy floor (forward + backward + SGD, in its own "
                     f"process): floor {_fmt_ms(f)} ms, kittygrad {_fmt_ms(k)} ms, **kitty/floor {_fmt(r)}×** "
                     f"(target ≤ 1.05×: {'met' if r and r <= 1.05 else 'NOT met'}); torch/floor "
                     f"{_fmt(ms('torch', 'mlp') / f if f and ms('torch', 'mlp') else None)}×.")
        rounds = [res.get((side, "mlp"), {}).get("mlp", {}).get("rounds_ms") for side in ("kitty", "floor")]
        if all(rounds) and len(rounds[0]) > 1:
            lines.append("  Their rounds, in the order they ran: kittygrad " + ", ".join(_fmt_ms(v) for v in rounds[0])
                         + " ms; floor " + ", ".join(_fmt_ms(v) for v in rounds[1]) + " ms.")
    if "chain" in names and "chain_heap" in names:
        parts = []
        for side in ("kitty", "torch"):
            a, h = ms(side, "chain"), ms(side, "chain_heap")
            parts.append(f"{side} {_fmt_ms(a)} → {_fmt_ms(h)} ms, **{_fmt(h / a if a and h else None)}×**")
        objs = res.get(("kitty", "chain_heap"), {}).get("heap_objects")
        ka, kh = ms("kitty", "chain"), ms("kitty", "chain_heap")
        ok = ka and kh and kh / ka <= 1.2
        lines.append(f"- {args.chain_ops:,}-op chain with a large heap / alone ({objs or '?'} GC-tracked objects built first in "
                     f"the same process): {'; '.join(parts)} (target kittygrad ≤ 1.2×: {'met' if ok else 'NOT met'}). "
                     "Samples of ≥ 1 s each; the cyclic GC's full collections during them, per step × ms each:")
        for side in ("kitty", "torch"):
            got = [res.get((side, n), {}).get(n, {}) for n in ("chain", "chain_heap")]
            if all("full_gc_per_step" in g for g in got):
                lines.append("  " + side + ": " + ", ".join(
                    f"{label} {g['full_gc_per_step']:.2f} × {g['full_gc_ms']:.1f} ms"
                    for label, g in zip(("alone", "with the heap"), got)))
    if "gpt" in names:
        rk, rt = rss("kitty", "gpt"), rss("torch", "gpt")
        ok = rk and rt and rk <= rt
        lines.append(f"- Peak RSS of the char-GPT step process (ru_maxrss, imports included): kittygrad "
                     f"{_fmt(rk, 0)} MB, torch {_fmt(rt, 0)} MB (target kittygrad ≤ torch: {'met' if ok else 'NOT met'}).")
    misses = [TABLE[n][0] for n in names if TABLE[n][4] and ms("kitty", n) and ms("torch", n)
              and ms("kitty", n) / ms("torch", n) > TABLE[n][4]]
    lines.append(f"- Training workloads above 1.5× torch: {'; '.join(misses) if misses else 'none'}.")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    import argparse
    import json
    import tempfile
    import time
    from pathlib import Path

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks workloads",
                                     description="The workload table: kittygrad vs torch, each in its own process.")
    parser.add_argument("--smoke", action="store_true", help=f"only {', '.join(SMOKE)}, one sample, one process "
                        "per library: checks the machinery, not the speed")
    parser.add_argument("--only", default="", help=f"comma-separated keys of: {', '.join(TABLE)}")
    parser.add_argument("--out", type=Path, default=None, help="markdown file (default benchmarks/workloads.md; a temporary file with --smoke or --only)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample", type=float, default=0.3, help="seconds per sample")
    parser.add_argument("--worker", choices=["kitty", "torch", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--names", default="", help=argparse.SUPPRESS)
    parser.add_argument("--chain-ops", type=int, default=10_000, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads in every process, and torch's "
                        "threads (default 1: the kernels compared one to one)")
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.worker:
        result = _worker(args.worker, args.names.split(","), args.sample, args.repeats, args.chain_ops, args.threads)
        args.worker_out.write_text(json.dumps(result))
        return
    names = [n for n in args.only.split(",") if n] or (list(SMOKE) if args.smoke else list(TABLE))
    unknown = [n for n in names if n not in TABLE]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {', '.join(TABLE)}")
    if args.smoke:
        args.repeats, args.sample, args.chain_ops = 1, 0.0, 1000
    from benchmarks.ops import FLOOR_ROUNDS, machine_facts, table_path

    out = table_path(args, "workloads")

    t0 = time.perf_counter()
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.smoke:  # one process per library (and one for the floor), each running all the rows
            groups = {}
            for n in names:
                for side in ("kitty", "torch", "floor") if TABLE[n][2] else ("kitty", "torch"):
                    groups.setdefault(side, []).append(n)
            for side, group in groups.items():
                r = _run(side, group, args, tmp)
                for n in group:
                    res[(side, n)] = r
        else:
            for n in names:
                # workload by workload, kittygrad then torch (then the floor), so a row's figures are close in
                # time; a workload with a floor: kittygrad and the floor then take turns, FLOOR_ROUNDS processes
                # each (their ratio is the target, and the machine's noise drifts over the seconds a process takes)
                order = ["kitty", "torch"] + (["floor"] + ["kitty", "floor"] * (FLOOR_ROUNDS - 1) if TABLE[n][2] else [])
                rounds = {}
                for side in order:
                    rounds.setdefault(side, []).append(_run(side, [n], args, tmp))
                for side, got in rounds.items():
                    res[(side, n)] = merged_rounds(got, n)
    text = render(res, names, machine_facts(), args, time.perf_counter() - t0)
    out.write_text(text)
    print(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
