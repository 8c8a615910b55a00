"""Differential fuzzer: random programs of op-table rows, run in kittygrad and torch side by side.

A program is 1-20 steps. A step is one of

* a **row step**: a row of the op table (tests/ops/test_<family>.py, joined in tests/op_table.py) applied to
  arguments that are fresh leaves (random shapes: 0-d, empty, size-1 broadcasting; float32,
  float64 or int64; with or without ``requires_grad``) or earlier results of the program, fed in
  as they are, through a view, or through a small differentiable adapter that keeps them inside
  the row's domain (``fresh + 1e-3 * tanh(p)``), so gradients reach every earlier step;
* a **view step**: a transpose, slice, integer index, ``expand``, ``view`` or ``reshape`` of an
  earlier result (non-contiguous and overlapping memory, out-of-range indices);
* an **in-place step**: ``mul_``, ``add_``, ``clamp_``, ``exp_``, ``zero_``, ``__setitem__``...
  on an earlier result, which may be a leaf, a view, an integer tensor or a tensor saved for
  backward (then both libraries must refuse, at the step or at ``backward``).

After each step the results are compared with torch's: Python types, shapes, dtypes,
``requires_grad`` and values, or, when torch raises, the built-in exception type kittygrad
raises. At the end ``sum_i (out_i * w_i).sum()`` over every differentiable result is
back-propagated in both and the leaves' gradients are compared (or the exception types).

The generator only asks its *source* for integers, so the same code runs under hypothesis (CI:
``HypothesisSource``, which also shrinks a failing program) and under a seeded ``random.Random``
(``RandomSource``, for the large budget in ``fuzz_run.py``).

Mismatches that are understood (``KNOWN`` below: open entries of NEEDS_CORE_FIX.md and
deliberate or harmless deviations) are reported apart from new ones.
"""
from __future__ import annotations

import math
import os
import random
import traceback
import warnings

import numpy as np
import torch

import kittygrad as kitty
from op_table import ROWS

# sampling rows compare no values; the attention_weights rows test an internal primitive against
# a torch emulation whose first output is a copy where kittygrad's passes its input through
FUZZ_ROWS = [r for r in ROWS if not r.random and not r.name.startswith("attention_weights")]
ROW_BY_NAME = {r.name: r for r in FUZZ_ROWS}
FLOAT_DTYPES = ("float32", "float64")
GENERIC_ONLY = ("svd", "qr", "eig", "lstsq", "pinv", "matrix_rank", "lu", "cholesky", "householder")

# per-step tolerances (rtol, atol) for values; gradients get ten times as much
TOL = {"float16": (1e-2, 1e-3), "float32": (2e-3, 2e-4), "float64": (1e-6, 1e-8)}


class Mismatch(AssertionError):
    def __init__(self, kind: str, detail: str, log: list):
        self.kind, self.detail, self.log = kind, detail, list(log)
        super().__init__(f"[{kind}] {detail}\nprogram:\n  " + "\n  ".join(log))


class RandomSource:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def int(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class HypothesisSource:
    def __init__(self, data):
        from hypothesis import strategies as st

        self.data, self.st = data, st

    def int(self, lo: int, hi: int) -> int:
        return self.data.draw(self.st.integers(lo, hi))


def builtin_base(exc: BaseException) -> type:
    """The built-in exception class an exception derives from (torch's errors subclass them)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return Exception


def _finite(t) -> bool:
    try:  # a view whose base was modified in place may refuse to be read
        return bool(torch.isfinite(t.detach()).all())
    except RuntimeError:
        return False


def _overlap(a, b) -> bool:
    try:
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    except RuntimeError:
        return True


def dname(t) -> str:
    return str(t.dtype).split(".")[-1]


class Program:
    """One program: builds and runs its steps in both libraries as it draws them."""

    def __init__(self, src, max_steps: int = 20):
        self.src = src
        self.log: list[str] = []
        self.pool: list[tuple] = []  # (kittygrad tensor, torch tensor, label)
        self.leaves: list[tuple] = []  # leaves that require grad: (k, t, label)
        self.dtype = self.choice(FLOAT_DTYPES)
        self.allow_empty = self.chance(12)
        self.n_steps = src.int(1, max_steps)
        self.errors = 0  # steps at which both libraries raised the same exception type
        self.np_rng = np.random.default_rng(src.int(0, 2**31))

    # ---- drawing helpers ----
    def chance(self, pct: int) -> bool:
        return self.src.int(0, 99) < pct

    def choice(self, seq):
        return seq[self.src.int(0, len(seq) - 1)]

    def draw_shape(self, min_dims=0, max_dims=3) -> tuple:
        ndim = self.src.int(min_dims, max(min_dims, min(max_dims, 4)))
        sides = (0, 1, 1, 2, 3, 4) if self.allow_empty else (1, 1, 2, 3, 4)
        return tuple(self.choice(sides) for _ in range(ndim))

    def broadcast_shapes(self, base: tuple, n: int, min_dims: int) -> list:
        shapes = [base]
        for _ in range(n - 1):
            drop = self.src.int(0, max(0, len(base) - min_dims))
            shape = [1 if self.chance(30) else s for s in base[drop:]]
            shapes.append(tuple(shape))
        return shapes

    # ---- running one thing in both libraries ----
    def both(self, what: str, fn):
        """Run ``fn(lib)`` for torch and kittygrad; returns (k, t) or None when both raised the
        same exception type. Any other difference raises Mismatch."""
        t_exc = k_exc = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_out = fn(torch)
        except Exception as e:  # noqa: BLE001 - we compare exception types
            t_exc = e
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", kitty.errors.BackwardGraphWarning)
                k_out = fn(kitty)
        except Mismatch:
            raise
        except Exception as e:  # noqa: BLE001
            k_exc = e
        if t_exc is not None or k_exc is not None:
            if k_exc is not None and os.environ.get("KITTY_FUZZ_TRACEBACK"):
                traceback.print_exception(k_exc)
            # drop the tracebacks: their frames would keep this step's temporaries (and so their
            # uses of earlier results, kittygrad's locks) alive until the next gc cycle
            for e in (t_exc, k_exc):
                while e is not None:
                    e.__traceback__ = None
                    e = e.__cause__ or e.__context__
            if t_exc is None:
                raise Mismatch("kitty-raises", f"{what}: kittygrad raised {type(k_exc).__name__}: {k_exc}; torch did not", self.log)
            if k_exc is None:
                raise Mismatch("torch-raises", f"{what}: torch raised {type(t_exc).__name__}: {t_exc}; kittygrad did not", self.log)
            base = builtin_base(t_exc)
            if not isinstance(k_exc, base):
                raise Mismatch(
                    "exception-type",
                    f"{what}: torch raised {type(t_exc).__name__} ({base.__name__}): {str(t_exc)[:200]}; "
                    f"kittygrad raised {type(k_exc).__name__}: {str(k_exc)[:200]}",
                    self.log,
                )
            self.errors += 1
            self.log.append(f"   -> both raise {base.__name__}")
            return None
        return k_out, t_out

    def compare(self, k, t, what: str, grad: bool = False):
        if isinstance(t, torch.Tensor):
            if not isinstance(k, kitty.Tensor):
                raise Mismatch("type", f"{what}: kittygrad gives {type(k).__name__}, torch a Tensor", self.log)
            if tuple(k.shape) != tuple(t.shape):
                raise Mismatch("shape", f"{what}: shape {tuple(k.shape)} != torch {tuple(t.shape)}", self.log)
            if dname(k) != dname(t):
                raise Mismatch("dtype", f"{what}: dtype {dname(k)} != torch {dname(t)}", self.log)
            if not grad and k.requires_grad != t.requires_grad:
                raise Mismatch("requires_grad", f"{what}: requires_grad {k.requires_grad} != torch {t.requires_grad}", self.log)
            kv = k.detach().numpy()
            tv = t.detach().numpy()
            if t.is_floating_point():
                # a float64 result of float32 inputs carries float32 rounding (torch and kittygrad
                # may cast before or after accumulating)
                rtol, atol = max(TOL[dname(t)], TOL[self.dtype])
                if grad:
                    rtol, atol = rtol * 10, atol * 10
                ok = np.allclose(kv, tv, rtol=rtol, atol=atol * max(1.0, float(np.nanmax(np.abs(tv), initial=0, where=np.isfinite(tv)))) ** 0.5, equal_nan=True)
                finite_same = np.array_equal(np.isfinite(kv), np.isfinite(tv)) and np.array_equal(np.isnan(kv), np.isnan(tv))
                if not (ok and finite_same):
                    raise Mismatch("value" if not grad else "grad", f"{what}: values differ\nkittygrad {kv!r}\ntorch     {tv!r}", self.log)
            elif not np.array_equal(kv, tv):
                raise Mismatch("value", f"{what}: values differ\nkittygrad {kv!r}\ntorch     {tv!r}", self.log)
        elif isinstance(t, (tuple, list)):
            if not isinstance(k, (tuple, list)) or len(k) != len(t):
                raise Mismatch("type", f"{what}: kittygrad gives {type(k).__name__}, torch {type(t).__name__} of {len(t)}", self.log)
            for i, (a, b) in enumerate(zip(k, t)):
                self.compare(a, b, f"{what}[{i}]", grad)
        elif isinstance(t, (bool, int, float)):
            if not isinstance(k, (bool, int, float)) or not (k == t or (math.isnan(k) and math.isnan(t)) or math.isclose(k, t, rel_tol=1e-5)):
                raise Mismatch("value", f"{what}: kittygrad {k!r} != torch {t!r}", self.log)

    def add_results(self, k, t, label):
        if isinstance(t, torch.Tensor):
            self.pool.append((k, t, label))
        elif isinstance(t, (tuple, list)):
            for i, (a, b) in enumerate(zip(k, t)):
                self.add_results(a, b, f"{label}[{i}]")

    # ---- arguments ----
    def fresh(self, shape, dtype, domain=None, requires_grad=None):
        if dtype in ("int64", "bool"):
            x = self.np_rng.integers(-6, 7, shape)
            x = x.astype(bool) if dtype == "bool" else x.astype(np.int64)
            rg = False
        else:
            x = self.np_rng.standard_normal(shape)
            if domain is not None:
                x = np.asarray(domain(x), dtype=np.float64)
            rg = self.chance(80) if requires_grad is None else requires_grad
        k = kitty.tensor(x, dtype=getattr(kitty, dtype), requires_grad=rg)
        t = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=rg)
        label = f"leaf{len(self.pool)}"
        self.log.append(f"{label} = tensor(shape={shape}, dtype={dtype}, requires_grad={rg})")
        if rg:
            self.leaves.append((k, t, label))
        self.pool.append((k, t, label))
        return k, t, label

    def candidates(self, shape=None, floating=True):
        out = []
        for k, t, label in self.pool:
            if floating and not t.is_floating_point():
                continue
            if shape is not None and tuple(t.shape) != tuple(shape):
                continue
            out.append((k, t, label))
        return out

    def arg(self, shape, row, i, dtype):
        """One argument for a row: a fresh leaf or an adapted earlier result, as (k, t, text)."""
        wants_grad = row.grad is True or (row.grad is not False and row.grad[i])
        if dtype != self.dtype or row.inputs != "float":  # integer / bool inputs
            cands = [c for c in self.candidates(shape, floating=False) if dname(c[1]) == dtype]
            if cands and self.chance(40):
                return self.choice(cands)
            k, t, label = self.fresh(shape, dtype)
            return k, t, label
        finite = [c for c in self.candidates(shape) if _finite(c[1])]
        # decompositions (sign/basis choices) and ops sensitive to ties take generic values only:
        # a fresh draw plus a small differentiable link to the earlier result
        generic_only = row.domain is not None or any(w in row.name for w in GENERIC_ONLY)
        if finite and self.chance(65):
            k, t, label = self.choice(finite)
            detach = not wants_grad
            if not generic_only and self.chance(50) and (t.numel() == 0 or float(t.detach().abs().max()) <= 4):
                if detach:
                    return k.detach(), t.detach(), f"{label}.detach()"
                return k, t, label  # fed as it is
            if not generic_only:
                return self.adapt(k, t, label, lambda m, p: m.tanh(p) * 2, "tanh({})*2", detach)
            fk, ft, flabel = self.fresh(shape, dtype, row.domain, requires_grad=False)
            return self.adapt(k, t, label, lambda m, p, fk=fk, ft=ft: (fk if m is kitty else ft) + 1e-3 * m.tanh(p),
                              f"{flabel} + 1e-3*tanh({{}})", detach)
        scal = self.candidates()
        scal = [c for c in scal if _finite(c[1])]
        if scal and self.chance(30):  # connect any earlier result through a scalar
            k, t, label = self.choice(scal)
            fk, ft, flabel = self.fresh(shape, dtype, row.domain, requires_grad=False)
            return self.adapt(k, t, label, lambda m, p, fk=fk, ft=ft: (fk if m is kitty else ft) + 1e-3 * m.tanh(p.sum()),
                              f"{flabel} + 1e-3*tanh({{}}.sum())", not wants_grad)
        return self.fresh(shape, dtype, row.domain, requires_grad=None if wants_grad else False)

    def adapt(self, k, t, label, fn, text, detach):
        text = text.format(label)
        if detach:
            k, t, text = k.detach(), t.detach(), f"({text}).detach()"
        res = self.both(text, lambda m: fn(m, k if m is kitty else t))
        if res is None:
            raise Mismatch("harness", f"adapter {text} raised in both", self.log)
        return res[0], res[1], text

    # ---- steps ----
    def row_step(self):
        row = self.choice(FUZZ_ROWS)
        dtype = self.dtype
        if row.inputs == "int":
            dtype = "int64"
        elif row.inputs == "bool":
            dtype = "bool"
        elif row.ints and self.chance(15):
            dtype = "int64"
        if row.shapes is not None:
            shapes = row.shapes(np.random.default_rng(self.src.int(0, 2**16)))
        else:
            cands = [c for c in self.candidates(floating=dtype in FLOAT_DTYPES)
                     if row.min_dims <= c[1].dim() <= row.max_dims]
            if cands and self.chance(60):
                base = tuple(self.choice(cands)[1].shape)
            else:
                base = self.draw_shape(row.min_dims, row.max_dims)
            if row.broadcast and row.nargs > 1:
                shapes = self.broadcast_shapes(base, row.nargs, row.min_dims)
                if self.chance(50):
                    shapes = shapes[::-1]
            else:
                shapes = [base] * row.nargs
        args = [self.arg(tuple(s), row, i, dtype) for i, s in enumerate(shapes)]
        label = f"r{len(self.pool)}"
        self.log.append(f"{label} = row {row.name!r}({', '.join(a[2] for a in args)})")
        res = self.both(f"row {row.name}", lambda m: row.fn(m, *[a[0] if m is kitty else a[1] for a in args]))
        if res is not None:
            self.compare(res[0], res[1], f"row {row.name}")
            self.add_results(res[0], res[1], label)

    VIEWS = [
        ("transpose(0, -1)", lambda p: p.transpose(0, -1), 1),
        ("mT", lambda p: p.mT, 2),
        ("[1:]", lambda p: p[1:], 1),
        ("[::2]", lambda p: p[::2], 1),
        ("[..., :1]", lambda p: p[..., :1], 1),
        ("[0]", lambda p: p[0], 1),
        ("[-1]", lambda p: p[-1], 1),
        ("[3]", lambda p: p[3], 1),
        ("[None]", lambda p: p[None], 0),
        ("unsqueeze(0).expand(2, ...)", lambda p: p.unsqueeze(0).expand(2, *p.shape), 0),
        ("view(-1)", lambda p: p.view(-1), 0),
        ("reshape(-1)", lambda p: p.reshape(-1), 0),
        ("t()", lambda p: p.t(), 0),
        ("squeeze()", lambda p: p.squeeze(), 0),
        ("narrow(0, 0, 1)", lambda p: p.narrow(0, 0, 1), 1),
        ("diagonal()", lambda p: p.diagonal(), 2),
    ]

    def view_step(self):
        if not self.pool:
            return self.fresh(self.draw_shape(), self.dtype)
        k, t, label = self.choice(self.pool)
        views = [v for v in self.VIEWS if t.dim() >= v[2]]
        text, fn, _ = self.choice(views)
        new = f"v{len(self.pool)}"
        self.log.append(f"{new} = {label}.{text}" if not text.startswith("[") else f"{new} = {label}{text}")
        res = self.both(f"view {text}", lambda m: fn(k if m is kitty else t))
        if res is not None:
            self.compare(res[0], res[1], f"view {text}")
            self.pool.append((res[0], res[1], new))

    def inplace_step(self):
        if not self.pool:
            return self.fresh(self.draw_shape(), self.dtype)
        k, t, label = self.choice(self.pool)
        k2, t2, label2 = self.choice(self.pool)
        ops = [
            ("mul_(2)", lambda m, p, q: p.mul_(2)),
            ("mul_(0.5)", lambda m, p, q: p.mul_(0.5)),
            ("add_(1)", lambda m, p, q: p.add_(1)),
            (f"add_({label2})", lambda m, p, q: p.add_(q)),
            (f"mul_({label2})", lambda m, p, q: p.mul_(q)),
            (f"sub_({label2}, alpha=2)", lambda m, p, q: p.sub_(q, alpha=2)),
            ("clamp_(-1, 1)", lambda m, p, q: p.clamp_(-1, 1)),
            ("tanh_()", lambda m, p, q: p.tanh_()),
            ("exp_()", lambda m, p, q: p.exp_()),
            ("sigmoid_()", lambda m, p, q: p.sigmoid_()),
            ("zero_()", lambda m, p, q: p.zero_()),
            ("[0] = 0.5", lambda m, p, q: p.__setitem__(0, 0.5)),
            (f"[...] = {label2}", lambda m, p, q: p.__setitem__(..., q)),
            ("[..., :1] *= 3", lambda m, p, q: p[..., :1].mul_(3)),
            (f"copy_({label2})", lambda m, p, q: p.copy_(q)),
        ]
        text, fn = self.choice(ops)
        if label2 in text and _overlap(t, t2):
            # an operand sharing memory with the destination: torch refuses some cases and leaves
            # the others undefined (it reads values it has already overwritten)
            text, fn = ops[0]
        self.log.append(f"{label}.{text}" if not text.startswith("[") else f"{label}{text}")
        res = self.both(f"in-place {text}", lambda m: fn(m, k if m is kitty else t, k2 if m is kitty else t2))
        if res is not None:
            self.compare(res[0], res[1], f"in-place {text}")

    def final_backward(self):
        w_rng = np.random.default_rng(len(self.log))
        terms = []
        for k, t, label in self.pool:
            if t.requires_grad and t.is_floating_point():
                w = w_rng.standard_normal(tuple(t.shape))
                terms.append((k, t, w, label))
        if not terms:
            return
        self.compare([k for k, _, _, _ in terms], [t for _, t, _, _ in terms], "final values")
        self.log.append("loss = sum((x * w).sum() for x in [" + ", ".join(x[3] for x in terms) + "]); loss.backward()")

        def loss(m):
            total = None
            for k, t, w, _ in terms:
                x = k if m is kitty else t
                term = (x * m.tensor(w, dtype=x.dtype)).sum()
                total = term if total is None else total + term
            total.backward()

        if self.both("backward", loss) is None:
            return
        for k, t, label in self.leaves:
            if t.grad is None:
                if k.grad is not None:
                    raise Mismatch("grad", f"{label}: kittygrad has a gradient, torch has none", self.log)
                continue
            if k.grad is None:
                raise Mismatch("grad", f"{label}: kittygrad has no gradient, torch has one", self.log)
            self.compare(k.grad, t.grad, f"grad of {label}", grad=True)

    def run(self):
        steps = 0
        self.fresh(self.draw_shape(), self.dtype)
        while steps < self.n_steps:
            r = self.src.int(0, 99)
            if r < 70:
                self.row_step()
            elif r < 85:
                self.view_step()
            else:
                self.inplace_step()
            steps += 1
        self.final_backward()
        return steps


# Differences that are understood: core bugs filed in NEEDS_CORE_FIX.md (#n) and deliberate or
# harmless deviations. (kind, regex on the detail, label). Anything else is a new mismatch.
KNOWN = [
    ("torch-raises", r"^backward: .*modified by an inplace operation",
     "torch saved a tensor kittygrad's backward does not read or keeps a copy of (audit_saved.py checks those gradients per row)"),
    ("kitty-raises", r"^backward: .*modified by an inplace operation",
     "kittygrad saved a tensor torch's backward does not read: kittygrad refuses, torch computes"),
    ("exception-type", r"^backward: torch raised RuntimeError .*modified by an inplace operation",
     "both refuse a changed saved tensor; kittygrad's node waits (seed locks) first"),
    ("torch-raises", r"view size is not compatible", "view(): torch's and NumPy's no-copy rules differ in corner cases"),
    ("kitty-raises", r"view size is not compatible", "view(): torch's and NumPy's no-copy rules differ in corner cases"),
    ("torch-raises", r"(must have the same dtype|dtypes must be the same|expects all tensors to have the same dtype)",
     "kittygrad promotes mixed float dtypes where a few torch ops refuse them"),
    ("kitty-raises", r"more than one element of the written-to tensor refers to a single memory location",
     "kittygrad refuses in-place writes into expanded views in some ops torch allows"),
    ("kitty-raises", r"OverflowError: Python integer", "integer clamp bounds outside the dtype's range (torch is inconsistent too)"),
    ("torch-raises", r"Autograd not support dtype", "torch quirk: an integer tensor it let require grad after an index_put"),
    ("kitty-raises", r"^row einsum\w*: .*expected scalar type", "einsum refuses mixed float dtypes; torch promotes"),
    ("kitty-raises", r"^row rms_norm: .*expected all tensors to have the same dtype",
     "rms_norm refuses mixed float dtypes; torch promotes"),
    ("torch-raises", r"row unique_dim:", "unique(dim) with zero-size dims: torch refuses"),
    ("kitty-raises", r"vector_norm cannot compute", "vector_norm of empty tensors with +-inf: the two differ on which to refuse"),
    ("torch-raises", r"vector_norm cannot compute", "vector_norm of empty tensors with +-inf: the two differ on which to refuse"),
]


def known_difference(m: Mismatch):
    """The label of a known difference this mismatch is, or None for a new one."""
    import re

    for kind, pattern, label in KNOWN:
        if m.kind == kind and re.search(pattern, m.detail):
            return label
    return None


def run_program(src, max_steps: int = 20) -> Program:
    prog = Program(src, max_steps)
    prog.run()
    return prog
