"""vmap of sorting, searching, counting and sampling with tensor parameters: ``argsort``/``sort``,
``count_nonzero``, ``searchsorted``/``bucketize``, ``bernoulli``/``normal`` run batched (no
per-sample loop, so no "fell back to a loop" warning) and give torch.func.vmap's results: values,
dtypes and shapes, and for the samplers torch's numbers under each ``randomness`` mode."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.func as tf

import kittygrad as kitty
import kittygrad.func as kf

RNG = np.random.default_rng(23)


@pytest.fixture(autouse=True)
def _loops_always_warn():
    """vmap's loop warnings come once per function or op; here every loop warns (and fails)."""
    kitty.set_warn_always(True)
    yield
    kitty.set_warn_always(False)


def _run(lib, make_fn, arrays, seed=None, **vmap_kwargs):
    """``vmap(make_fn(lib), **vmap_kwargs)`` of ``arrays``; kittygrad's with every warning an error
    (a loop would warn). With a ``seed``, also the generator's next draw after the call."""
    func = kf if lib is kitty else tf
    tensors = [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
    if seed is not None:
        lib.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error" if lib is kitty else "ignore")
        out = func.vmap(make_fn(lib), **vmap_kwargs)(*tensors)
    return (out, lib.rand(3)) if seed is not None else out


def _leaves(out):
    return [t for o in (out if isinstance(out, (tuple, list)) else (out,)) for t in (o if isinstance(o, (tuple, list)) else (o,))]


def _same(k, t, exact=True):
    for a, b in zip(_leaves(k), _leaves(t), strict=True):
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        if exact:
            assert np.array_equal(a.numpy(), b.numpy(), equal_nan=True), (a, b)
        else:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


def _both(make_fn, *arrays, exact=True, seed=None, **vmap_kwargs):
    k = _run(kitty, make_fn, arrays, seed, **vmap_kwargs)
    t = _run(torch, make_fn, arrays, seed, **vmap_kwargs)
    _same(k, t, exact)
    return k


def _distinct(*shape):
    """Values without ties (an unstable sort then agrees with a stable one)."""
    return RNG.permutation(int(np.prod(shape))).reshape(shape).astype(np.float32) / 7


# ---- argsort and sort ----------------------------------------------------------------------------

ARGSORTS = {
    "default": lambda lib: lambda a: lib.argsort(a),
    "dim0": lambda lib: lambda a: lib.argsort(a, dim=0),
    "descending": lambda lib: lambda a: lib.argsort(a, dim=-1, descending=True),
    "method": lambda lib: lambda a: a.argsort(1, descending=True),
}


@pytest.mark.parametrize("name", sorted(ARGSORTS))
def test_argsort_is_batched(name):
    _both(ARGSORTS[name], _distinct(4, 3, 5))


@pytest.mark.parametrize("descending", [False, True])
def test_stable_argsort_and_sort_keep_ties_in_order(descending):
    x = RNG.integers(0, 3, (4, 9)).astype(np.float64)
    x[0, :3] = np.nan
    _both(lambda lib: lambda a: lib.argsort(a, stable=True, descending=descending), x)
    _both(lambda lib: lambda a: lib.sort(a, stable=True, descending=descending), x)


def test_argsort_of_ints_and_bools():
    _both(lambda lib: lambda a: lib.argsort(a, stable=True), RNG.integers(-5, 5, (3, 7)))
    _both(lambda lib: lambda a: lib.argsort(a, stable=True, descending=True), RNG.integers(0, 2, (3, 7)) > 0)


def test_argsort_of_scalar_samples():
    _both(lambda lib: lambda a: lib.argsort(a), _distinct(5))


def test_argsort_in_dims_out_dims_and_nested():
    x = _distinct(3, 4, 5)
    _both(lambda lib: lambda a: lib.argsort(a, descending=True), x, in_dims=1, out_dims=1)
    _both(lambda lib: lambda a: lib.argsort(a, dim=0), x, in_dims=2)

    def nested(lib):
        func = kf if lib is kitty else tf
        return func.vmap(lambda a: lib.argsort(a, descending=True), in_dims=1)

    _both(nested, x)


def test_sort_is_batched():
    x = _distinct(4, 3, 5)
    _both(lambda lib: lambda a: lib.sort(a, dim=0, descending=True), x, in_dims=2, out_dims=1)
    _both(lambda lib: lambda a: tuple(lib.sort(a)), _distinct(6))


# ---- count_nonzero -------------------------------------------------------------------------------

COUNTS = {
    "all": lambda lib: lambda a: lib.count_nonzero(a),
    "dim": lambda lib: lambda a: lib.count_nonzero(a, dim=0),
    "dims": lambda lib: lambda a: lib.count_nonzero(a, dim=(0, -1)),
    "method": lambda lib: lambda a: a.count_nonzero(1),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_count_nonzero_is_batched(name):
    x = RNG.integers(-1, 2, (4, 3, 5)).astype(np.float32)
    x[1, 0, 0] = np.nan  # NaN is nonzero
    _both(COUNTS[name], x)
    _both(COUNTS[name], x > 0)
    _both(COUNTS[name], x, in_dims=2)


def test_count_nonzero_nested_and_of_scalar_samples():
    x = RNG.integers(0, 2, (3, 4, 5))

    def nested(lib):
        func = kf if lib is kitty else tf
        return func.vmap(lambda a: lib.count_nonzero(a), in_dims=1)

    _both(nested, x)
    _both(lambda lib: lambda a: lib.count_nonzero(a), x.reshape(-1))


# ---- searchsorted and bucketize ------------------------------------------------------------------

def _sorted_rows(*shape, dtype=np.float32):
    return np.sort(RNG.integers(0, 10, shape), axis=-1).astype(dtype)


SIDES = [{}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True}]


@pytest.mark.parametrize("kw", SIDES, ids=str)
def test_searchsorted_in_a_shared_sequence(kw):
    seq = _sorted_rows(7)
    values = RNG.integers(-1, 11, (4, 2, 3)).astype(np.float32)
    _both(lambda lib: lambda v: lib.searchsorted(lib.tensor(seq), v, **kw), values)
    _both(lambda lib: lambda v: lib.bucketize(v, lib.tensor(seq), **{k: v for k, v in kw.items() if k != "side"}), values)


@pytest.mark.parametrize("kw", SIDES, ids=str)
def test_searchsorted_in_each_samples_own_sequence(kw):
    seqs = _sorted_rows(4, 6)
    values = RNG.integers(-1, 11, (4, 5)).astype(np.float32)
    _both(lambda lib: lambda s, v: lib.searchsorted(s, v, **kw), seqs, values)
    _both(lambda lib: lambda s: lib.searchsorted(s, lib.tensor(values[0]), **kw), seqs)  # shared values
    _both(lambda lib: lambda s: lib.searchsorted(s, 4.0, **kw), seqs)  # a number
    _both(lambda lib: lambda s, v: lib.searchsorted(s, v, **kw), seqs, values[:, 0].copy())  # one value per sample
    _both(lambda lib: lambda s, v: lib.bucketize(v, s, right=bool(kw.get("right"))), seqs, values[:, :2].reshape(4, 2, 1))


def test_searchsorted_of_nans_ints_and_in_dims():
    seqs = _sorted_rows(4, 6, dtype=np.float64)  # (NaN in a sequence: torch's search differs from NumPy's)
    values = RNG.integers(-1, 11, (4, 3)).astype(np.float64)
    values[1, 0] = values[2, 1] = np.nan
    for kw in ({}, {"right": True}):
        _both(lambda lib: lambda s, v: lib.searchsorted(s, v, **kw), seqs, values)
    ints = _sorted_rows(4, 6, dtype=np.int64)
    _both(lambda lib: lambda s, v: lib.searchsorted(s, v), ints, RNG.integers(-1, 11, (4, 3)))
    _both(lambda lib: lambda s, v: lib.searchsorted(s, v, right=True), seqs.T.copy(), values, in_dims=(1, 0), out_dims=1)


def _with_nans(seqs):
    """Sorted rows with NaNs: at the end (where a sort puts them), and in the middle."""
    seqs = seqs.copy()
    seqs[0, -1] = np.nan
    seqs[1, -2:] = np.nan
    seqs[2, 2] = np.nan
    return seqs


@pytest.mark.parametrize("kw", [{}, {"right": True}], ids=str)
def test_searchsorted_with_nans_in_the_sequence_follows_torch(kw):
    """A NaN in the sequence: torch's binary search goes right at every comparison with it,
    where NumPy's search orders NaN last (a different index); vmapped and not, kittygrad's
    answer is torch's."""
    seqs = _with_nans(_sorted_rows(4, 6))
    values = RNG.integers(-1, 11, (4, 5)).astype(np.float32)
    values[3, 0] = np.nan
    _both(lambda lib: lambda s, v: lib.searchsorted(s, v, **kw), seqs, values)
    _both(lambda lib: lambda v: lib.searchsorted(lib.tensor(seqs[0]), v, **kw), values)  # shared, NaN last
    _both(lambda lib: lambda v: lib.searchsorted(lib.tensor(seqs[2]), v, **kw), values)  # shared, NaN inside
    for seq in seqs:  # outside vmap: 1-D, and all rows at once
        assert np.array_equal(kitty.searchsorted(kitty.tensor(seq), kitty.tensor(values), **kw).numpy(),
                              torch.searchsorted(torch.tensor(seq), torch.tensor(values), **kw).numpy())
    assert np.array_equal(kitty.searchsorted(kitty.tensor(seqs), kitty.tensor(values), **kw).numpy(),
                          torch.searchsorted(torch.tensor(seqs), torch.tensor(values), **kw).numpy())


@pytest.mark.parametrize("kw", [{}, {"right": True}, {"out_int32": True}], ids=str)
def test_searchsorted_with_multi_dim_sequences_per_sample_is_batched(kw):
    """Each sample's sequence is itself N-D (rows matching its values' leading dims): searched
    in one vectorized binary search, with no per-sample loop (which would warn, here an error)."""
    seqs = _sorted_rows(4, 3, 6)
    values = RNG.integers(-1, 11, (4, 3, 5)).astype(np.float32)
    _both(lambda lib: lambda s, v: lib.searchsorted(s, v, **kw), seqs, values)
    _both(lambda lib: lambda s: lib.searchsorted(s, lib.tensor(values[0]), **kw), seqs)  # shared values
    _both(lambda lib: lambda v: lib.searchsorted(lib.tensor(seqs[0]), v, **kw), values)  # shared 2-D sequence
    _both(lambda lib: lambda s, v: lib.searchsorted(s, v, **kw), _with_nans(seqs.reshape(12, 6)).reshape(4, 3, 6), values)


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_with_a_sorter(side):
    seqs = RNG.integers(0, 10, (4, 6)).astype(np.float32)
    values = RNG.integers(-1, 11, (4, 3)).astype(np.float32)

    def own(lib):
        return lambda s, v: lib.searchsorted(s, v, side=side, sorter=lib.argsort(s, stable=True))

    def shared(lib):
        seq = lib.tensor(seqs[0])
        return lambda v: lib.searchsorted(seq, v, side=side, sorter=lib.argsort(seq, stable=True))

    _both(own, seqs, values)
    _both(shared, values)


def test_searchsorted_nested():
    seq = _sorted_rows(6)
    values = RNG.integers(-1, 11, (3, 4, 2)).astype(np.float32)

    def nested(lib):
        func = kf if lib is kitty else tf
        return func.vmap(lambda v: lib.bucketize(v, lib.tensor(seq)), in_dims=1)

    _both(nested, values)
    seqs = _sorted_rows(3, 6)

    def nested_own(lib):  # each outer sample's own sequence, values batched at the inner level
        func = kf if lib is kitty else tf
        return lambda s: func.vmap(lambda v: lib.searchsorted(s, v))(lib.tensor(values[0]))

    _both(nested_own, seqs)


# ---- bernoulli and normal with tensor parameters -------------------------------------------------

SAMPLERS = {
    "bernoulli": lambda lib: lambda p: lib.bernoulli(p),
    "bernoulli_p": lambda lib: lambda p: lib.bernoulli(p, 0.3),  # (p a number: x's values are not read)
    "bernoulli_method": lambda lib: lambda p: p.bernoulli() + p,
    "normal_mean": lambda lib: lambda p: lib.normal(p, 0.5),
    "normal_std": lambda lib: lambda p: lib.normal(1.0, p),
    "normal_both": lambda lib: lambda p: lib.normal(p, p),
    "normal_shared_mean": lambda lib: lambda p: lib.normal(lib.zeros(p.shape[-1]), p),
    "two_draws": lambda lib: lambda p: lib.bernoulli(p) + lib.normal(p, 1.0) + lib.rand(()),
}



@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("shape", [(4, 5), (3, 6, 7)], ids=["small", "large"])
def test_samplers_with_batched_parameters_draw_torchs_numbers(name, shape):
    """randomness="different": one draw for all samples, torch's numbers, the generator left
    where torch's is."""
    p = RNG.uniform(0.05, 0.95, shape).astype(np.float32)
    _both(SAMPLERS[name], p, exact=False, seed=5, randomness="different")


@pytest.mark.parametrize("name", ["bernoulli", "normal_mean", "normal_both"])
def test_samplers_with_batched_parameters_in_dims(name):
    p = RNG.uniform(0.05, 0.95, (5, 4)).astype(np.float64)
    _both(SAMPLERS[name], p, exact=False, seed=8, randomness="different", in_dims=1, out_dims=1)


SHARED = {
    "bernoulli": lambda lib: lambda x: x + lib.bernoulli(lib.full((5,), 0.4)),
    "normal": lambda lib: lambda x: x + lib.normal(lib.zeros(5), lib.ones(5)),
    "normal_large": lambda lib: lambda x: x + lib.normal(lib.zeros(5, 4), 2.0).sum(1),
}


@pytest.mark.parametrize("randomness", ["different", "same"])
@pytest.mark.parametrize("name", sorted(SHARED))
def test_samplers_with_shared_parameters(name, randomness):
    """Parameters not batched: "different" draws for every sample at once, "same" once for all."""
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    out, _ = _both(SHARED[name], x, exact=False, seed=2, randomness=randomness)
    if randomness == "same":
        noise = out.numpy() - x
        assert np.allclose(noise, noise[:1])


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("randomness", ["same", "error"])
def test_samplers_with_batched_parameters_raise_torchs_error(name, randomness):
    p = RNG.uniform(0.05, 0.95, (4, 5)).astype(np.float32)
    pattern = "same randomness with a batched tensor input" if randomness == "same" else "randomness error mode"
    with pytest.raises(RuntimeError, match=pattern):
        _run(torch, SAMPLERS[name], [p], randomness=randomness)
    with pytest.raises(RuntimeError, match=pattern):
        _run(kitty, SAMPLERS[name], [p], randomness=randomness)


def test_sampler_argument_checks_hold_for_every_sample():
    p = RNG.uniform(0.05, 0.95, (4, 5)).astype(np.float32)
    p[2, 3] = 1.5
    with pytest.raises(RuntimeError, match="p_in >= 0 && p_in <= 1"):
        _run(kitty, SAMPLERS["bernoulli"], [p], randomness="different")
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        _run(kitty, SAMPLERS["normal_std"], [p - 1], randomness="different")


def test_grad_of_a_sample_under_vmap():
    """The samples' gradients (zero for the parameters, as torch's) in one batched backward."""
    p = RNG.uniform(0.05, 0.95, (3, 4)).astype(np.float32)

    def make(lib):
        func = kf if lib is kitty else tf
        return func.grad(lambda m: (lib.normal(m, 1.0) * m).sum())

    _both(make, p, exact=False, seed=4, randomness="different")
