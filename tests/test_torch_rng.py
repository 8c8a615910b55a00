"""Same seed, same numbers: kittygrad's random functions against torch's CPU generator.

After ``manual_seed(s)`` both libraries must produce the same values and leave the generator at
the same place: every comparison below also compares the two generators' states byte for byte
(torch's 5056-byte layout, which kittygrad's ``get_rng_state`` reproduces).

Tolerances, where a transcendental function is involved:

- float32 values computed in float64 and rounded (per-element normals, exponential, log-normal,
  Cauchy, ...) are compared exactly;
- float64 values that go through log/sin/cos/exp may differ in the last bit or two (NumPy's
  vectorised functions versus the C library torch calls): ``F64`` below;
- float32 normals of tensors of 16 or more elements come from torch's AVX2 Box-Muller kernel (SLEEF
  log/sin/cos): a few float32 ulps, ``F32_BLOCK``;
- ``orthogonal_`` (QR in float64 here, float32 in torch) to float32 rounding.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader as TLoader
from torch.utils.data import RandomSampler as TRandom
from torch.utils.data import SubsetRandomSampler as TSubset
from torch.utils.data import WeightedRandomSampler as TWeighted
from torch.utils.data import TensorDataset as TData
from torch.utils.data import random_split as t_split

import kittygrad as kitty
from kittygrad import backend_random
from kittygrad.utils.data import DataLoader as KLoader
from kittygrad.utils.data import RandomSampler as KRandom
from kittygrad.utils.data import SubsetRandomSampler as KSubset
from kittygrad.utils.data import WeightedRandomSampler as KWeighted
from kittygrad.utils.data import TensorDataset as KData
from kittygrad.utils.data import random_split as k_split

SEEDS = [0, 1, 12345]
SIZES = [1, 2, 15, 16, 17, 31, 1000, 1001]
F64 = {"rtol": 4e-16, "atol": 4e-16}
F32_BLOCK = {"rtol": 5e-7, "atol": 5e-7}

DTYPES = [(torch.float32, kitty.float32), (torch.float64, kitty.float64)]


def arr(t):
    """A torch or kittygrad tensor as a NumPy array."""
    return t.detach().numpy()


def seed_both(seed: int) -> None:
    torch.manual_seed(seed)
    kitty.manual_seed(seed)


def assert_same_stream(tgen=None, kgen=None) -> None:
    """The two generators are at the same place: states equal byte for byte, except that the
    cached second normal (a float64) may differ in its last bit."""
    t = (torch.get_rng_state() if tgen is None else tgen.get_state()).numpy()
    k = arr(kitty.get_rng_state() if kgen is None else kgen.get_state())
    cached = slice(5024, 5032)
    assert t.shape == k.shape == (5056,)
    head_t, head_k = np.delete(t, np.r_[cached]), np.delete(k, np.r_[cached])
    assert (head_t == head_k).all(), "the generators are not at the same place"
    np.testing.assert_allclose(t[cached].view(np.float64), k[cached].view(np.float64), **F64)


def assert_same(t, k, exact=True, **tol) -> None:
    a, b = arr(t), arr(k)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    if exact and not tol:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), **tol)


# ---------------------------------------------------------------------------------------------
# the raw stream and uniforms


def test_numpy_mt19937_is_torchs_stream():
    for seed in SEEDS + [2**32 + 7, -3]:
        torch.manual_seed(seed)
        bits = np.random.MT19937(0)
        bits._legacy_seeding(seed & 0xFFFF_FFFF)
        raw = bits.random_raw(10)
        assert (torch.randint(0, 2**27, (10,)).numpy() == (raw % 2**27).astype(np.int64)).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("tdt,kdt", DTYPES + [(torch.float16, kitty.float16)])
def test_rand(seed, n, tdt, kdt):
    seed_both(seed)
    assert_same(torch.rand(n, dtype=tdt), kitty.rand(n, dtype=kdt))
    assert_same(torch.rand(2, n, dtype=tdt), kitty.rand(2, n, dtype=kdt))
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bounds", [(-0.3, 0.7), (2.0, 5.0), (-1 / 3**0.5, 1 / 3**0.5), (0.0, 0.0), (-1e-3, 1e6)])
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_uniform_is_one_fma(seed, bounds, tdt, kdt):
    seed_both(seed)
    a, b = bounds
    assert_same(torch.empty(1001, dtype=tdt).uniform_(a, b), kitty.empty(1001, dtype=kdt).uniform_(a, b))
    assert_same(torch.nn.init.uniform_(torch.empty(3, 5, dtype=tdt), a, b), kitty.nn.init.uniform_(kitty.empty(3, 5, dtype=kdt), a, b))
    assert_same_stream()


# ---------------------------------------------------------------------------------------------
# normals


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES + [48, 100_001])
def test_randn_float64(seed, n):
    seed_both(seed)
    assert_same(torch.randn(n, dtype=torch.float64), kitty.randn(n, dtype=kitty.float64), **F64)
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES + [48, 100_001])
def test_randn_float32(seed, n):
    seed_both(seed)
    t, k = torch.randn(n), kitty.randn(n)
    if n < 16:  # one element at a time in float64, then rounded: exact
        assert_same(t, k)
    else:
        assert_same(t, k, **F32_BLOCK)
        assert (arr(t) == arr(k)).mean() > 0.6  # most of them bit for bit
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
def test_cached_second_normal_carries_over(seed):
    seed_both(seed)
    for n in (1, 3, 2, 1, 5, 16, 1, 7):  # the sine of an odd-sized draw serves the next one
        assert_same(torch.randn(n, dtype=torch.float64), kitty.randn(n, dtype=kitty.float64), **F64)
        assert_same_stream()
    assert_same(torch.randn(3), kitty.randn(3))  # the cache is shared by the dtypes
    seed_both(seed)  # and reseeding drops it
    torch.randn(1)
    kitty.randn(1)
    seed_both(seed)
    assert_same(torch.randn(1), kitty.randn(1))
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mean,std", [(0.3, 1.7), (-2.0, 0.01), (5.0, 0.0)])
@pytest.mark.parametrize("n", [7, 16, 33, 1000])
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_normal_with_mean_and_std(seed, mean, std, n, tdt, kdt):
    seed_both(seed)
    tol = F64 if tdt is torch.float64 else (F32_BLOCK if n >= 16 else {})
    assert_same(torch.empty(n, dtype=tdt).normal_(mean, std), kitty.empty(n, dtype=kdt).normal_(mean, std), **tol)
    assert_same(torch.normal(mean, std, (n,), dtype=tdt), kitty.normal(mean, std, (n,), dtype=kdt), **tol)
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
def test_normal_with_tensor_parameters(seed):
    seed_both(seed)
    mean = np.linspace(-2, 2, 40).reshape(5, 8)
    std = np.linspace(0.1, 3, 40).reshape(5, 8)
    for dt in ("float32", "float64"):
        tm, km = torch.tensor(mean, dtype=getattr(torch, dt)), kitty.tensor(mean, dtype=getattr(kitty, dt))
        ts, ks = torch.tensor(std, dtype=getattr(torch, dt)), kitty.tensor(std, dtype=getattr(kitty, dt))
        tol = F64 if dt == "float64" else F32_BLOCK
        assert_same(torch.normal(tm, ts), kitty.normal(km, ks), **tol)
        assert_same(torch.normal(tm, 2.0), kitty.normal(km, 2.0), **tol)
        assert_same(torch.normal(0.5, ts[:1, :3]), kitty.normal(0.5, ks[:1, :3]), **tol)
        assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
def test_strided_tensors_fill_in_memory_order(seed):
    """A strided tensor is filled along its memory, and normals one element at a time."""
    seed_both(seed)
    for make in (lambda m: m.empty(8, 6).t(), lambda m: m.empty(8, 6)[:, ::2], lambda m: m.empty(4, 5, 6).permute(2, 0, 1)):
        assert_same(make(torch).uniform_(-1, 1), make(kitty).uniform_(-1, 1))
        assert_same(make(torch).normal_(), make(kitty).normal_())
        assert_same(make(torch).exponential_(), make(kitty).exponential_())
        assert_same(make(torch).random_(0, 100), make(kitty).random_(0, 100))
        assert_same(make(torch).bernoulli_(0.3), make(kitty).bernoulli_(0.3))
        assert_same_stream()


# ---------------------------------------------------------------------------------------------
# integers and permutations


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "low,high",
    [(0, 10), (-5, 7), (0, 2**28 - 1), (0, 2**28), (3, 2**31), (0, 2**32), (-(2**40), 2**40), (-(2**62), 2**62)],
)
def test_randint(seed, low, high):
    seed_both(seed)
    assert_same(torch.randint(low, high, (17,)), kitty.randint(low, high, (17,)))
    assert_same(torch.randint(high, (3, 2)), kitty.randint(high, (3, 2)))
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
def test_randint_dtypes_and_like(seed):
    seed_both(seed)
    assert_same(torch.randint(0, 10, (5,), dtype=torch.float32), kitty.randint(0, 10, (5,), dtype=kitty.float32))
    assert_same(torch.randint(-3, 100, (5,), dtype=torch.int32), kitty.randint(-3, 100, (5,), dtype=kitty.int32))
    assert_same(torch.randint_like(torch.zeros(4, 2), 7), kitty.randint_like(kitty.zeros(4, 2), 7))
    assert_same(torch.rand_like(torch.zeros(4, 2)), kitty.rand_like(kitty.zeros(4, 2)))
    assert_same(torch.randn_like(torch.zeros(2, 3, dtype=torch.float64)), kitty.randn_like(kitty.zeros(2, 3, dtype=kitty.float64)), **F64)
    # a transposed input: the result keeps its layout, so it is drawn along memory (normals one by one)
    assert_same(torch.rand_like(torch.zeros(6, 4).t()), kitty.rand_like(kitty.zeros(6, 4).t()))
    assert_same(torch.randn_like(torch.zeros(6, 4).t()), kitty.randn_like(kitty.zeros(6, 4).t()))
    assert_same(torch.randint_like(torch.zeros(6, 4).t(), 9), kitty.randint_like(kitty.zeros(6, 4).t(), 9))
    assert_same(torch.rand_like(torch.zeros(6, 4)[:, ::2]), kitty.rand_like(kitty.zeros(6, 4)[:, ::2]))
    assert_same(torch.bernoulli(torch.full((6, 4), 0.5).t()), kitty.bernoulli(kitty.full((6, 4), 0.5).t()))
    assert_same(torch.bernoulli(torch.zeros(6, 4).t(), 0.5), kitty.bernoulli(kitty.zeros(6, 4).t(), 0.5))
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "tdt,kdt",
    [
        (torch.int64, kitty.int64), (torch.int32, kitty.int32), (torch.int16, kitty.int16), (torch.int8, kitty.int8),
        (torch.uint8, kitty.uint8), (torch.bool, kitty.bool), (torch.float32, kitty.float32), (torch.float64, kitty.float64),
    ],
)
def test_random_(seed, tdt, kdt):
    seed_both(seed)
    assert_same(torch.empty(20, dtype=tdt).random_(), kitty.empty(20, dtype=kdt).random_())
    if tdt is not torch.bool:
        assert_same(torch.empty(20, dtype=tdt).random_(5), kitty.empty(20, dtype=kdt).random_(5))
        assert_same(torch.empty(20, dtype=tdt).random_(2, 9), kitty.empty(20, dtype=kdt).random_(2, 9))
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [0, 1, 2, 10, 100, 1000, 100_000])
def test_randperm(seed, n):
    seed_both(seed)
    assert_same(torch.randperm(n), kitty.randperm(n))
    assert_same_stream()


def test_randperm_matches_a_plain_fisher_yates():
    """The vectorised shuffle is the sequential one (checked on random swap targets)."""
    rng = np.random.default_rng(0)
    for n in (2, 3, 5, 17, 200):
        for _ in range(30):
            targets = np.array([i + rng.integers(0, n - i) for i in range(n - 1)])
            perm = list(range(n))
            for i, j in enumerate(targets):
                perm[i], perm[j] = perm[j], perm[i]
            assert backend_random._forward_fisher_yates(targets).tolist() == perm


# ---------------------------------------------------------------------------------------------
# Bernoulli, dropout, multinomial and the other distributions


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_bernoulli(seed, tdt, kdt):
    seed_both(seed)
    probs = np.linspace(0, 1, 37).reshape(37)
    tp, kp = torch.tensor(probs, dtype=tdt), kitty.tensor(probs, dtype=kdt)
    assert_same(torch.bernoulli(tp), kitty.bernoulli(kp))
    assert_same(torch.bernoulli(tp, 0.3), kitty.bernoulli(kp, 0.3))
    assert_same(torch.empty(50, dtype=tdt).bernoulli_(0.7), kitty.empty(50, dtype=kdt).bernoulli_(0.7))
    assert_same(torch.empty(37, dtype=torch.float32).bernoulli_(tp), kitty.empty(37, dtype=kitty.float32).bernoulli_(kp))
    assert_same(torch.bernoulli(tp.reshape(1, 37).expand(3, 37).t()), kitty.bernoulli(kp.reshape(1, 37).expand(3, 37).t()))
    assert_same(torch.bernoulli(tp.expand(4, 37)), kitty.bernoulli(kp.expand(4, 37)))  # an expanded input
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.77, 1.0])
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_dropout(seed, p, tdt, kdt):
    seed_both(seed)
    x = np.linspace(-3, 3, 2 * 4 * 5 * 5).reshape(2, 4, 5, 5)
    tx, kx = torch.tensor(x, dtype=tdt), kitty.tensor(x, dtype=kdt)
    assert_same(torch.nn.functional.dropout(tx, p), kitty.nn.functional.dropout(kx, p))
    assert_same(torch.nn.functional.dropout2d(tx, p), kitty.nn.functional.dropout2d(kx, p))
    assert_same(torch.nn.Dropout(p)(tx), kitty.nn.Dropout(p)(kx))
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("layout", [(1, 0, 2), (0, 2, 1), (2, 0, 1), (1, 2, 0)])
def test_dropout_noise_follows_a_permuted_inputs_memory(seed, layout):
    """torch draws dropout's noise into ``empty_like(input)``, which keeps a permuted input's
    layout: the uniforms run along its memory (a batch_first attention output is one, so a
    TransformerEncoderLayer's dropout1 in training)."""
    x = np.linspace(-3, 3, 3 * 4 * 5).reshape(3, 4, 5)
    tx, kx = torch.tensor(x).permute(layout), kitty.tensor(x).permute(layout)
    seed_both(seed)
    assert_same(torch.nn.functional.dropout(tx, 0.4), kitty.nn.functional.dropout(kx, 0.4))
    assert_same(torch.nn.functional.dropout(tx[:, 1:], 0.4), kitty.nn.functional.dropout(kx[:, 1:], 0.4))  # (sliced: its order)
    assert_same(torch.native_dropout(tx, 0.3, True)[0], kitty.native_dropout(kx, 0.3, True)[0])
    assert_same_stream()
    seed_both(seed)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3, batch_first=True)
    kl = kitty.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3, batch_first=True)
    kl.load_state_dict({k: kitty.tensor(v.numpy()) for k, v in tl.state_dict().items()})
    seed_both(seed + 1)
    tx, kx = torch.randn(2, 5, 8), kitty.randn(2, 5, 8)
    np.testing.assert_allclose(arr(kl(kx)), arr(tl(tx)), rtol=1e-4, atol=1e-5)
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
def test_multinomial_without_replacement_past_the_positive_weights(seed):
    """A random walk's neighbour draw asks for more samples than a row has neighbours: torch draws
    no error, puts the positive-weight categories first (in its order) and the zero-weight ones
    after (which of them, and in what order, is its topk's tie order: here index order), and the
    stream goes on alike."""
    seed_both(seed)
    w = [[0.5, 0.5, 0.0, 0.3, 0.0, 0.0, 0.1], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]]
    t, k = torch.multinomial(torch.tensor(w), 5), kitty.multinomial(kitty.tensor(w), 5)
    for r, positive in enumerate((4, 1)):
        assert k[r, :positive].tolist() == t[r, :positive].tolist()
        zeros = k[r, positive:].tolist()
        assert zeros == sorted(zeros) and len(set(zeros)) == len(zeros) and all(w[r][i] == 0 for i in zeros)
    assert_same_stream()


@pytest.mark.parametrize("dtype", ["long", "int32", "bool"])
def test_multinomial_names_an_integer_dtype_as_torch(dtype):
    msgs = []
    for m in (torch, kitty):
        with pytest.raises(RuntimeError) as err:
            m.multinomial(m.tensor([1, 2], dtype=getattr(m, dtype)), 1)
        msgs.append(str(err.value))
    assert msgs[1] == msgs[0]  # '... got: Long', torch's scalar type name


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_multinomial(seed, tdt, kdt):
    seed_both(seed)
    w = np.abs(np.sin(np.arange(60.0))).reshape(3, 20) + 0.05
    w[:, ::4] = 0
    tw, kw = torch.tensor(w, dtype=tdt), kitty.tensor(w, dtype=kdt)
    for k in (1, 2, 7, 15):
        assert_same(torch.multinomial(tw, k), kitty.multinomial(kw, k))
        assert_same(torch.multinomial(tw[0], k), kitty.multinomial(kw[0], k))
    for k in (1, 5, 300):
        assert_same(torch.multinomial(tw, k, True), kitty.multinomial(kw, k, True))
        assert_same(torch.multinomial(tw[1], k, True), kitty.multinomial(kw[1], k, True))
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_other_distributions(seed, tdt, kdt):
    seed_both(seed)
    f64 = tdt is torch.float64
    for lambd in (1.0, 2.5):
        assert_same(torch.empty(300, dtype=tdt).exponential_(lambd), kitty.empty(300, dtype=kdt).exponential_(lambd), **(F64 if f64 else {}))
    assert_same(torch.empty(300, dtype=tdt).geometric_(0.3), kitty.empty(300, dtype=kdt).geometric_(0.3))
    assert_same(torch.empty(300, dtype=tdt).cauchy_(0.5, 2.0), kitty.empty(300, dtype=kdt).cauchy_(0.5, 2.0), **(F64 if f64 else {}))
    log_normal = {"rtol": 1e-15, "atol": 0} if f64 else {}  # torch's exp is SLEEF's (a few float64 ulps)
    assert_same(torch.empty(301, dtype=tdt).log_normal_(0.5, 0.7), kitty.empty(301, dtype=kdt).log_normal_(0.5, 0.7), **log_normal)
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_poisson(seed, tdt, kdt):
    """torch's sampler: a product of float64 uniforms below a rate of 10, transformed rejection
    from 10 up (a varying number of draws per sample), element after element in C order."""
    seed_both(seed)
    rates = [[0.0, 0.5, 3.0, 9.99, 10.0, 40.0], [1e-3, 123.4, 1000.0, 2.0, 15.0, 7.5]] * 10
    assert_same(torch.poisson(torch.tensor(rates, dtype=tdt)), kitty.poisson(kitty.tensor(rates, dtype=kdt)))
    g_t, g_k = torch.Generator().manual_seed(seed + 1), kitty.Generator().manual_seed(seed + 1)
    assert_same(torch.poisson(torch.tensor(rates, dtype=tdt).t(), g_t), kitty.poisson(kitty.tensor(rates, dtype=kdt).t(), g_k))
    assert_same_stream()
    assert_same_stream(g_t, g_k)


def test_poisson_of_many_rates_is_numpys_repeatable_and_a_nan_rate_is_refused():
    """Beyond 4096 rates the Python sampler would take seconds: NumPy's, seeded by one 64-bit draw."""
    from kittygrad.ops.random_ops import _POISSON_TORCH_STREAM_MAX

    rates = kitty.full((_POISSON_TORCH_STREAM_MAX + 1,), 4.0)
    kitty.manual_seed(3)
    a = kitty.poisson(rates)
    kitty.manual_seed(3)
    assert (kitty.poisson(rates) == a).all() and abs(a.mean().item() - 4.0) < 0.2
    torch.manual_seed(3)
    torch.empty((), dtype=torch.int64).random_()  # one 64-bit draw
    assert_same(torch.rand(4), kitty.rand(4))
    for bad in (float("nan"), -1.0):
        with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be non-negative"):
            kitty.poisson(kitty.tensor([1.0, bad]))


# ---------------------------------------------------------------------------------------------
# sequences of calls, Generator objects, states and seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_a_sequence_of_calls_stays_in_step(seed):
    seed_both(seed)
    steps = [
        lambda m: m.rand(5),
        lambda m: m.randn(3, dtype=m.float64),
        lambda m: m.randint(0, 1000, (9,)),
        lambda m: m.randn(17),
        lambda m: m.randperm(33),
        lambda m: m.empty(2, 7).uniform_(-2, 3),
        lambda m: m.rand(4, dtype=m.float64),
        lambda m: m.randn(1, dtype=m.float64),
        lambda m: m.multinomial(m.ones(6), 3),
        lambda m: m.bernoulli(m.full((9,), 0.4)),
        lambda m: m.empty(1000).normal_(1.0, 2.0),
        lambda m: m.randint(-(2**40), 2**40, (3,)),
    ]
    for step in steps:
        t, k = step(torch), step(kitty)
        exact = not t.is_floating_point() or t.dtype is torch.float32 and t.numel() < 16
        assert_same(t, k, **({} if exact else (F64 if t.dtype is torch.float64 else F32_BLOCK)))
        assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
def test_generator_objects(seed):
    torch.manual_seed(99)
    kitty.manual_seed(99)
    tg, kg = torch.Generator().manual_seed(seed), kitty.Generator().manual_seed(seed)
    assert tg.initial_seed() == kg.initial_seed() == seed
    assert_same(torch.rand(5, generator=tg), kitty.rand(5, generator=kg))
    assert_same(torch.randn(20, generator=tg), kitty.randn(20, generator=kg), **F32_BLOCK)
    assert_same(torch.randint(0, 7, (6,), generator=tg), kitty.randint(0, 7, (6,), generator=kg))
    assert_same(torch.randperm(12, generator=tg), kitty.randperm(12, generator=kg))
    assert_same(torch.normal(0.0, 2.0, (3,), generator=tg), kitty.normal(0.0, 2.0, (3,), generator=kg))
    assert_same(torch.multinomial(torch.ones(8), 4, generator=tg), kitty.multinomial(kitty.ones(8), 4, generator=kg))
    assert_same(torch.bernoulli(torch.full((6,), 0.5), generator=tg), kitty.bernoulli(kitty.full((6,), 0.5), generator=kg))
    assert_same(torch.empty(4).uniform_(generator=tg), kitty.empty(4).uniform_(generator=kg))
    assert_same(
        torch.nn.init.kaiming_uniform_(torch.empty(3, 4), generator=tg), kitty.nn.init.kaiming_uniform_(kitty.empty(3, 4), generator=kg)
    )
    assert_same_stream(tg, kg)
    assert_same_stream()  # the default generators were left alone
    assert_same(torch.rand(3), kitty.rand(3))


def test_a_new_generator_has_torchs_default_seed():
    assert kitty.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    assert_same(torch.rand(4, generator=torch.Generator()), kitty.rand(4, generator=kitty.Generator()))
    assert_same_stream(torch.Generator(), kitty.Generator())


@pytest.mark.parametrize("seed", [2**40 + 5, -1, -(2**63), 2**64 - 1, 2**32])
def test_seeds_use_the_low_32_bits_and_report_all_64(seed):
    seed_both(seed)
    assert torch.initial_seed() == kitty.initial_seed()
    assert_same(torch.rand(3), kitty.rand(3))
    assert_same_stream()


def test_bad_seeds():
    for bad in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError):
            torch.manual_seed(bad)
        with pytest.raises(ValueError):
            kitty.manual_seed(bad)
    with pytest.raises(RuntimeError):
        torch.Generator().manual_seed(1.5)
    with pytest.raises(RuntimeError):
        kitty.Generator().manual_seed(1.5)
    kitty.manual_seed(2.7)  # the module function takes int(seed), as torch's
    assert kitty.initial_seed() == 2


def test_seed_is_fresh_and_reported():
    s = kitty.seed()
    assert s == kitty.initial_seed() and 0 <= s < 2**64
    a = kitty.rand(3)
    kitty.manual_seed(s)
    assert (kitty.rand(3) == a).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_state_round_trips(seed):
    seed_both(seed)
    kitty.randn(3, dtype=kitty.float64)  # leaves a cached normal in the state
    torch.randn(3, dtype=torch.float64)
    state = kitty.get_rng_state()
    assert state.dtype == kitty.uint8 and tuple(state.shape) == (5056,)
    first = [kitty.randn(1, dtype=kitty.float64), kitty.rand(700), kitty.randperm(50)]
    kitty.set_rng_state(state)
    again = [kitty.randn(1, dtype=kitty.float64), kitty.rand(700), kitty.randperm(50)]
    for a, b in zip(first, again):
        assert (a == b).all()
    # the states are torch's: kittygrad's state drives torch, and torch's kittygrad
    torch.set_rng_state(torch.from_numpy(state.numpy().copy()))
    assert_same(torch.randn(1, dtype=torch.float64), again[0], **F64)  # the cached normal travelled
    assert_same(torch.rand(700), again[1])
    assert_same(torch.randperm(50), again[2])
    assert_same_stream()
    torch.randn(5)
    kitty.set_rng_state(kitty.tensor(torch.get_rng_state().numpy()))
    assert_same(torch.rand(5), kitty.rand(5))
    assert_same_stream()
    g = kitty.Generator().manual_seed(seed)
    s = g.get_state()
    x = kitty.rand(4, generator=g)
    assert (kitty.rand(4, generator=g.set_state(s)) == x).all()


def test_fresh_and_exhausted_states_match_torchs_layout():
    for seed in SEEDS:
        seed_both(seed)
        assert_same_stream()  # just seeded: nothing drawn
        torch.rand(624)
        kitty.rand(624)
        assert_same_stream()  # the Twister's words all used
        torch.rand(1)
        kitty.rand(1)
        assert_same_stream()


def test_bad_states():
    with pytest.raises(RuntimeError, match="size"):
        kitty.set_rng_state(kitty.zeros(10, dtype=kitty.uint8))
    with pytest.raises(TypeError):
        kitty.set_rng_state(kitty.zeros(5056))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        kitty.set_rng_state(kitty.zeros(5056, dtype=kitty.uint8))
    with pytest.raises(TypeError):
        kitty.set_rng_state([1, 2])


# ---------------------------------------------------------------------------------------------
# nn.init and the default initialisation of layers


@pytest.mark.parametrize("seed", SEEDS)
def test_init_functions(seed):
    seed_both(seed)
    ti, ki = torch.nn.init, kitty.nn.init
    for shape in ((3, 4), (16, 8), (5, 3, 3, 3), (30, 17)):
        assert_same(ti.xavier_uniform_(torch.empty(shape)), ki.xavier_uniform_(kitty.empty(shape)))
        assert_same(ti.xavier_uniform_(torch.empty(shape), gain=1.7), ki.xavier_uniform_(kitty.empty(shape), gain=1.7))
        assert_same(ti.kaiming_uniform_(torch.empty(shape)), ki.kaiming_uniform_(kitty.empty(shape)))
        assert_same(ti.kaiming_uniform_(torch.empty(shape), a=5**0.5), ki.kaiming_uniform_(kitty.empty(shape), a=5**0.5))
        assert_same(
            ti.kaiming_uniform_(torch.empty(shape), mode="fan_out", nonlinearity="relu"),
            ki.kaiming_uniform_(kitty.empty(shape), mode="fan_out", nonlinearity="relu"),
        )
        assert_same(ti.xavier_normal_(torch.empty(shape)), ki.xavier_normal_(kitty.empty(shape)), **F32_BLOCK)
        assert_same(ti.kaiming_normal_(torch.empty(shape)), ki.kaiming_normal_(kitty.empty(shape)), **F32_BLOCK)
        assert_same(ti.normal_(torch.empty(shape), 0.5, 0.02), ki.normal_(kitty.empty(shape), 0.5, 0.02), **F32_BLOCK)
        # rejection from normals (most of the mass inside), then from uniforms (little inside)
        assert_same(ti.trunc_normal_(torch.empty(shape), std=0.02), ki.trunc_normal_(kitty.empty(shape), std=0.02), **F32_BLOCK)
        assert_same(
            ti.trunc_normal_(torch.empty(shape), 1.0, 2.0, -1.0, 3.0), ki.trunc_normal_(kitty.empty(shape), 1.0, 2.0, -1.0, 3.0), **F32_BLOCK
        )
        assert_same(ti.trunc_normal_(torch.empty(shape), 0.0, 1.0, 1.5, 3.0), ki.trunc_normal_(kitty.empty(shape), 0.0, 1.0, 1.5, 3.0))
        assert_same(ti.trunc_normal_(torch.empty(shape), 0.0, 1.0, -0.2, 0.1), ki.trunc_normal_(kitty.empty(shape), 0.0, 1.0, -0.2, 0.1))
        assert_same(ti.orthogonal_(torch.empty(shape)), ki.orthogonal_(kitty.empty(shape)), rtol=0, atol=2e-5)
        assert_same_stream()


def _params(module):
    return [(name, arr(p)) for name, p in module.named_parameters()]


def assert_same_module(make, tol=None) -> None:
    for seed in SEEDS:
        seed_both(seed)
        tm, km = make(torch), make(kitty)
        tp, kp = _params(tm), _params(km)
        assert [n for n, _ in tp] == [n for n, _ in kp]
        for (name, a), (_, b) in zip(tp, kp):
            if tol is None:
                np.testing.assert_array_equal(a, b, err_msg=name)
            else:
                np.testing.assert_allclose(a, b, err_msg=name, **tol)
        assert_same_stream()


LAYERS = {
    "Linear": lambda m: m.nn.Linear(4, 3),
    "Linear without bias": lambda m: m.nn.Linear(20, 7, bias=False),
    "Bilinear": lambda m: m.nn.Bilinear(3, 4, 5),
    "Conv1d": lambda m: m.nn.Conv1d(3, 8, 5),
    "Conv2d": lambda m: m.nn.Conv2d(3, 6, (3, 2), groups=3),
    "ConvTranspose2d": lambda m: m.nn.ConvTranspose2d(4, 6, 3, groups=2),
    "LayerNorm": lambda m: m.nn.LayerNorm(5),
    "BatchNorm2d": lambda m: m.nn.BatchNorm2d(3),
    "RNN": lambda m: m.nn.RNN(3, 5, num_layers=2),
    "LSTM": lambda m: m.nn.LSTM(4, 6, num_layers=2, bidirectional=True),
    "GRU": lambda m: m.nn.GRU(3, 4, batch_first=True),
    "LSTMCell": lambda m: m.nn.LSTMCell(3, 4),
    "GRUCell": lambda m: m.nn.GRUCell(3, 4),
    "MLP": lambda m: m.nn.Sequential(m.nn.Linear(10, 32), m.nn.ReLU(), m.nn.Linear(32, 32), m.nn.Tanh(), m.nn.Linear(32, 2)),
    "CNN": lambda m: m.nn.Sequential(
        m.nn.Conv2d(1, 4, 3), m.nn.BatchNorm2d(4), m.nn.ReLU(), m.nn.Flatten(), m.nn.Linear(4 * 6 * 6, 10)
    ),
    "MultiheadAttention": lambda m: m.nn.MultiheadAttention(8, 2),
    "MultiheadAttention kdim": lambda m: m.nn.MultiheadAttention(8, 2, kdim=5, vdim=3),
    "TransformerEncoderLayer": lambda m: m.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16),
    "TransformerDecoderLayer": lambda m: m.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16),
    "TransformerEncoder": lambda m: m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False),
    "Transformer": lambda m: m.nn.Transformer(8, 2, 1, 1, dim_feedforward=16),
}


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_initialisation(name):
    assert_same_module(LAYERS[name])


def test_embedding_initialisation():
    assert_same_module(lambda m: m.nn.Embedding(3, 4), tol={})  # 12 normals: per element, exact
    assert_same_module(lambda m: m.nn.Embedding(10, 7, padding_idx=0), tol=F32_BLOCK)


@pytest.mark.parametrize("seed", SEEDS)
def test_dropout_between_lstm_layers(seed):
    seed_both(seed)
    tl, kl = torch.nn.LSTM(3, 4, num_layers=3, dropout=0.4), kitty.nn.LSTM(3, 4, num_layers=3, dropout=0.4)
    x = np.linspace(-1, 1, 5 * 2 * 3).reshape(5, 2, 3)
    t_out, _ = tl(torch.tensor(x, dtype=torch.float32))
    k_out, _ = kl(kitty.tensor(x, dtype=kitty.float32))
    assert_same(t_out, k_out, rtol=1e-5, atol=1e-6)
    assert_same_stream()


# ---------------------------------------------------------------------------------------------
# data loading


@pytest.mark.parametrize("seed", SEEDS)
def test_shuffled_loader_and_random_split(seed):
    seed_both(seed)
    t_loader = TLoader(TData(torch.arange(23)), batch_size=5, shuffle=True)
    k_loader = KLoader(KData(kitty.arange(23)), batch_size=5, shuffle=True)
    for _ in range(2):  # two epochs
        for (tb,), (kb,) in zip(t_loader, k_loader):
            assert_same(tb, kb)
        assert_same_stream()
    t_parts = t_split(TData(torch.arange(10)), [7, 3], generator=torch.Generator().manual_seed(seed))
    k_parts = k_split(KData(kitty.arange(10)), [7, 3], generator=kitty.Generator().manual_seed(seed))
    assert [list(p.indices) for p in t_parts] == [list(p.indices) for p in k_parts]


@pytest.mark.parametrize("seed", SEEDS)
def test_samplers(seed):
    seed_both(seed)
    weights = [0.1, 2.0, 0.5, 0.0, 3.3, 1.0]
    for replacement in (True, False):
        assert list(TWeighted(weights, 5, replacement=replacement)) == list(KWeighted(weights, 5, replacement=replacement))
    assert list(TRandom(range(10), replacement=True, num_samples=40)) == list(KRandom(range(10), replacement=True, num_samples=40))
    assert list(TRandom(range(10), num_samples=25)) == list(KRandom(range(10), num_samples=25))
    assert list(TSubset([5, 7, 9, 11])) == list(KSubset([5, 7, 9, 11]))
    assert_same_stream()


def test_stamp_changes_with_every_change_of_the_stream():
    """vmap asks ``stamp()`` whether a run drew, instead of reading the whole state (~40 us):
    every way the stream changes must change it, a cached normal used up included."""
    from kittygrad.backend_random import Generator

    g = Generator().manual_seed(3)
    s = g.stamp()
    assert g.stamp() == s
    g.normal(0.0, 1.0, (3,), "float64")  # an odd count leaves a normal cached
    after_draw = g.stamp()
    assert after_draw != s
    g.normal(0.0, 1.0, (1,), "float64")  # uses the cached normal: no raw draw, yet a change
    assert g.stamp() != after_draw
    for change in (lambda: g.manual_seed(3), lambda: g.set_state(g.get_state()), lambda: g.random((2,))):
        before = g.stamp()
        change()
        assert g.stamp() != before
    before = g.stamp()
    g.random((0,))  # nothing drawn
    assert g.stamp() == before


def test_on_next_change_sees_the_state_before_the_change():
    from kittygrad.backend_random import Generator

    g = Generator().manual_seed(5)
    seen = []
    g.on_next_change(lambda: seen.append(g.get_state()))
    start = g.get_state()
    first = g.random((4,))
    g.random((4,))  # a watcher runs once
    assert len(seen) == 1 and (seen[0] == start).all()
    assert (g.set_state(seen[0]).random((4,)) == first).all()
    calls = []
    watcher = calls.append
    g.on_next_change(lambda: watcher(1))
    g.forget(watcher)  # (a different callable: nothing is removed)
    g.random((1,))
    assert calls == [1]
