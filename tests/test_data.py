"""kittygrad.utils.data: datasets, samplers, DataLoader (single and multi-process), collation."""
import collections
import os
import sys

import numpy as np
import pytest
import torch
import torch.utils.data as TD

import kittygrad as kitty
import kittygrad.utils.data as KD

FORK_OK = sys.platform.startswith("linux")
needs_fork = pytest.mark.skipif(not FORK_OK, reason="the 'fork' start method is Linux-only here")


def _same(k, t):
    """kittygrad's and torch's collated structures agree in type, dtype and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(k, kitty.Tensor), (type(k), t)
        assert k.dtype.name == str(t.dtype).split(".")[1], (k.dtype, t.dtype)
        assert tuple(k.shape) == tuple(t.shape)
        np.testing.assert_array_equal(k.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(k) is type(t) and list(k) == list(t)
        for key in t:
            _same(k[key], t[key])
    elif isinstance(t, tuple) and hasattr(t, "_fields"):
        assert type(k).__name__ == type(t).__name__ and k._fields == t._fields
        for a, b in zip(k, t):
            _same(a, b)
    elif isinstance(t, (list, tuple)):
        assert type(k) is type(t) and len(k) == len(t), (k, t)
        for a, b in zip(k, t):
            _same(a, b)
    else:
        assert type(k) is type(t) and k == t, (k, t)


def _to_torch(x):
    if isinstance(x, kitty.Tensor):
        return torch.from_numpy(x.numpy().copy())
    if isinstance(x, dict):
        return type(x)((k, _to_torch(v)) for k, v in x.items())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_to_torch(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_to_torch(v) for v in x)
    return x


Point = collections.namedtuple("Point", ["x", "y"])


def _collate_cases():
    t = lambda a: kitty.tensor(a)
    return [
        [t([1.0, 2.0]), t([3.0, 4.0])],
        [t([1, 2]), t([3, 4]), t([5, 6])],
        [t(1.5), t(2.5)],
        [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
        [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)],
        [np.float32(1.5), np.float32(2.5)],
        [np.int64(3), np.int64(4)],
        [1.0, 2.5, -3.0],
        [1, 2, 3],
        [True, False],
        ["a", "bc"],
        [b"x", b"y"],
        [(t([1.0]), 0), (t([2.0]), 1)],
        [[t([1.0]), 2.0], [t([3.0]), 4.0]],
        [{"x": t([1.0, 2.0]), "y": 1, "name": "a"}, {"x": t([3.0, 4.0]), "y": 2, "name": "b"}],
        [Point(t([1.0]), 2), Point(t([3.0]), 4)],
        [{"a": (1, [2.0, np.array([3, 4])]), "b": {"c": t([[1.0]])}}, {"a": (5, [6.0, np.array([7, 8])]), "b": {"c": t([[2.0]])}}],
        [collections.OrderedDict(a=1, b=2.0), collections.OrderedDict(a=3, b=4.0)],
    ]


@pytest.mark.parametrize("i", range(len(_collate_cases())))
def test_default_collate_matches_torch(i):
    batch = _collate_cases()[i]
    _same(KD.default_collate(batch), TD.default_collate(_to_torch(batch)))


@pytest.mark.parametrize(
    "batch",
    [
        [[1, 2], [3]],  # unequal lengths
        [np.array(["a"]), np.array(["b"])],  # string arrays
        [object(), object()],
        [kitty.zeros(2), kitty.zeros(3)],  # shapes differ
        [None, None],
    ],
    ids=["ragged", "str-array", "object", "shape", "none"],
)
def test_default_collate_errors_match_torch(batch):
    with pytest.raises(Exception) as te:
        TD.default_collate(_to_torch(batch))
    with pytest.raises(Exception) as ke:
        KD.default_collate(batch)
    assert isinstance(ke.value, te.type), (ke.value, te.value)


def test_default_convert_matches_torch():
    sample = {"a": np.array([1.0, 2.0]), "b": (np.int32(3), "s"), "c": [np.array([True])], "d": Point(np.float32(1), 2)}
    _same(KD.default_convert(sample), TD.default_convert(sample))


def test_collate_tensor_requires_grad_stays_differentiable_if_stack_exists():
    a, b = kitty.ones(2, requires_grad=True), kitty.ones(2, requires_grad=True)
    out = KD.default_collate([a, b])
    assert out.shape == (2, 2)
    if hasattr(kitty, "stack"):
        assert out.requires_grad


# ---- datasets ------------------------------------------------------------------------------------
def test_tensor_dataset():
    x, y = kitty.arange(12.0).reshape(4, 3), kitty.tensor([0, 1, 0, 1])
    ds = KD.TensorDataset(x, y)
    assert len(ds) == 4
    a, b = ds[2]
    assert a.tolist() == [6.0, 7.0, 8.0] and b.item() == 0
    assert ds[-1][1].item() == 1
    with pytest.raises(AssertionError):
        KD.TensorDataset(x, kitty.zeros(3))


def test_concat_subset_chain():
    a = KD.TensorDataset(kitty.arange(3))
    b = KD.TensorDataset(kitty.arange(10, 14))
    c = a + b
    assert isinstance(c, KD.ConcatDataset) and len(c) == 7
    assert [c[i][0].item() for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert c[-1][0].item() == 13 and c.cumulative_sizes == [3, 7]
    with pytest.raises(ValueError):
        c[-8]
    with pytest.raises(AssertionError):
        KD.ConcatDataset([])
    s = KD.Subset(c, [6, 0, 3])
    assert len(s) == 3 and [s[i][0].item() for i in range(3)] == [13, 0, 10]

    class R(KD.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    ch = R(2) + R(3)
    assert isinstance(ch, KD.ChainDataset) and list(ch) == [0, 1, 0, 1, 2] and len(ch) == 5
    with pytest.raises(AssertionError):
        KD.ConcatDataset([R(2)])
    with pytest.raises(NotImplementedError):
        KD.Dataset()[0]


@pytest.mark.parametrize("lengths", [[3, 7], [0.5, 0.5], [0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [0.1, 0.9], [1 / 3] * 3])
def test_random_split_lengths_match_torch(lengths):
    for n in (10, 11, 7):
        if all(isinstance(v, int) for v in lengths) and sum(lengths) != n:
            continue
        k = KD.random_split(KD.TensorDataset(kitty.arange(n)), lengths, generator=kitty.Generator().manual_seed(0))
        t = TD.random_split(TD.TensorDataset(torch.arange(n)), lengths, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in k] == [len(s) for s in t]
        assert sorted(i for s in k for i in s.indices) == list(range(n))


def test_random_split_determinism_and_errors():
    ds = KD.TensorDataset(kitty.arange(20))
    a = KD.random_split(ds, [15, 5], generator=kitty.Generator().manual_seed(3))
    b = KD.random_split(ds, [15, 5], generator=kitty.Generator().manual_seed(3))
    assert [s.indices for s in a] == [s.indices for s in b]
    kitty.manual_seed(5)
    c = KD.random_split(ds, [10, 10])
    kitty.manual_seed(5)
    d = KD.random_split(ds, [10, 10])
    assert [s.indices for s in c] == [s.indices for s in d]
    assert c[0].indices != list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths"):
        KD.random_split(ds, [5, 5])
    with pytest.raises(ValueError):
        TD.random_split(TD.TensorDataset(torch.arange(20)), [5, 5])
    with pytest.warns(UserWarning) as rec:
        KD.random_split(KD.TensorDataset(kitty.arange(2)), [0.9, 0.05, 0.05])
    assert [str(w.message)[:31] for w in rec] == ["Length of split at index 1 is 0", "Length of split at index 2 is 0"]


# ---- samplers ------------------------------------------------------------------------------------
def test_samplers():
    assert list(KD.SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = lambda s: kitty.Generator().manual_seed(s)
    r = KD.RandomSampler(range(10), generator=g(0))
    first, second = list(r), list(r)
    assert sorted(first) == list(range(10)) and first != second  # a new order each pass
    assert list(KD.RandomSampler(range(10), generator=g(0))) == first
    long = list(KD.RandomSampler(range(4), num_samples=10, generator=g(1)))
    assert len(long) == 10 and sorted(long[:8]) == [0, 0, 1, 1, 2, 2, 3, 3]
    rep = list(KD.RandomSampler(range(3), replacement=True, num_samples=100, generator=g(2)))
    assert len(rep) == 100 and set(rep) == {0, 1, 2}
    assert len(KD.RandomSampler(range(3), replacement=True, num_samples=7)) == 7
    sub = list(KD.SubsetRandomSampler([10, 20, 30, 40], generator=g(0)))
    assert sorted(sub) == [10, 20, 30, 40]
    w = list(KD.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=g(0)))
    assert set(w) == {1, 3} and w.count(3) > w.count(1)
    nw = list(KD.WeightedRandomSampler([1.0, 1.0, 1.0, 0.0], 3, replacement=False, generator=g(0)))
    assert sorted(nw) == [0, 1, 2]
    assert list(KD.BatchSampler(range(7), 3, False)) == list(TD.BatchSampler(range(7), 3, False))
    assert list(KD.BatchSampler(range(7), 3, True)) == list(TD.BatchSampler(range(7), 3, True))
    assert len(KD.BatchSampler(range(7), 3, False)) == 3 and len(KD.BatchSampler(range(7), 3, True)) == 2


def test_random_sampler_follows_manual_seed():
    kitty.manual_seed(42)
    a = list(KD.RandomSampler(range(50)))
    kitty.manual_seed(42)
    b = list(KD.RandomSampler(range(50)))
    kitty.manual_seed(43)
    c = list(KD.RandomSampler(range(50)))
    assert a == b and a != c


SAMPLER_ERRORS = [
    lambda M: M.RandomSampler(range(3), replacement=1),
    lambda M: M.RandomSampler(range(3), num_samples=0),
    lambda M: M.RandomSampler(range(3), num_samples=1.5),
    lambda M: M.BatchSampler(range(3), 0, False),
    lambda M: M.BatchSampler(range(3), True, False),
    lambda M: M.BatchSampler(range(3), 2, 1),
    lambda M: M.WeightedRandomSampler([1.0], 0),
    lambda M: M.WeightedRandomSampler([1.0], 2, replacement=None),
    lambda M: M.WeightedRandomSampler([[1.0]], 2),
    lambda M: list(M.WeightedRandomSampler([1.0, 1.0], 3, replacement=False)),
    lambda M: list(M.WeightedRandomSampler([1.0, -1.0], 3)),
    # torch.multinomial words these by the kernel that draws: many samples with replacement, or not
    lambda M: list(M.WeightedRandomSampler([1.0, -1.0], 1)),
    lambda M: list(M.WeightedRandomSampler([1.0, -1.0], 2, replacement=False)),
    lambda M: list(M.WeightedRandomSampler([float("inf"), 1.0], 2)),
    lambda M: list(M.WeightedRandomSampler([float("nan"), 1.0], 2)),
    lambda M: list(M.WeightedRandomSampler([0.0, 0.0], 2)),
]


@pytest.mark.parametrize("i", range(len(SAMPLER_ERRORS)))
def test_sampler_errors_match_torch(i):
    with pytest.raises(Exception) as te:
        SAMPLER_ERRORS[i](TD)
    with pytest.raises(Exception) as ke:
        SAMPLER_ERRORS[i](KD)
    assert isinstance(ke.value, te.type), (ke.value, te.value)
    assert str(ke.value) == str(te.value)


# ---- DataLoader ----------------------------------------------------------------------------------
X = np.arange(30, dtype=np.float32).reshape(10, 3)
Y = np.arange(10)


def _kds():
    return KD.TensorDataset(kitty.tensor(X), kitty.tensor(Y))


def _tds():
    return TD.TensorDataset(torch.tensor(X), torch.tensor(Y))


@pytest.mark.parametrize("kw", [dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=4), dict(batch_size=None), dict(batch_size=10), dict(batch_size=20)])
def test_sequential_batches_match_torch(kw):
    k = list(KD.DataLoader(_kds(), **kw))
    t = list(TD.DataLoader(_tds(), **kw))
    assert len(k) == len(t) == len(KD.DataLoader(_kds(), **kw))
    for a, b in zip(k, t):
        _same(a, b)


class DictDataset(KD.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "label": i % 3, "name": f"s{i}", "w": float(i) / 2}


class TorchDictDataset(TD.Dataset):
    def __init__(self, n):
        self.k = DictDataset(n)

    def __len__(self):
        return self.k.n

    def __getitem__(self, i):
        return self.k[i]


def test_dict_samples_and_custom_sampler_match_torch():
    order = [9, 2, 4, 4, 0, 7, 1]
    k = list(KD.DataLoader(DictDataset(10), batch_size=3, sampler=order))
    t = list(TD.DataLoader(TorchDictDataset(10), batch_size=3, sampler=order))
    for a, b in zip(k, t):
        _same(a, b)
    bs = [[0, 1], [5], [2, 3, 4]]
    k = list(KD.DataLoader(DictDataset(10), batch_sampler=bs))
    t = list(TD.DataLoader(TorchDictDataset(10), batch_sampler=bs))
    assert len(k) == 3
    for a, b in zip(k, t):
        _same(a, b)


def test_custom_collate_fn():
    dl = KD.DataLoader(_kds(), batch_size=4, collate_fn=lambda batch: len(batch))
    assert list(dl) == [4, 4, 2]


def test_shuffle_determinism():
    def epoch(**kw):
        return [y.tolist() for _, y in KD.DataLoader(_kds(), batch_size=3, shuffle=True, **kw)]

    kitty.manual_seed(0)
    a1, a2 = epoch(), epoch()
    kitty.manual_seed(0)
    b1, b2 = epoch(), epoch()
    assert (a1, a2) == (b1, b2) and a1 != a2  # repeatable, and reshuffled every epoch
    assert sorted(sum(a1, [])) == list(range(10))
    g1, g2 = kitty.Generator().manual_seed(7), kitty.Generator().manual_seed(7)
    assert epoch(generator=g1) == epoch(generator=g2)
    kitty.manual_seed(1)
    assert epoch() != a1


LOADER_ERRORS = [
    lambda M, ds: M.DataLoader(ds, num_workers=-1),
    lambda M, ds: M.DataLoader(ds, sampler=[0, 1], shuffle=True),
    lambda M, ds: M.DataLoader(ds, batch_sampler=[[0]], batch_size=2),
    lambda M, ds: M.DataLoader(ds, batch_sampler=[[0]], drop_last=True),
    lambda M, ds: M.DataLoader(ds, batch_size=None, drop_last=True),
    lambda M, ds: M.DataLoader(ds, prefetch_factor=2),
    lambda M, ds: M.DataLoader(ds, persistent_workers=True),
    lambda M, ds: M.DataLoader(ds, timeout=-1),
    lambda M, ds: setattr(M.DataLoader(ds), "batch_size", 3),
]


@pytest.mark.parametrize("i", range(len(LOADER_ERRORS)))
def test_loader_errors_match_torch(i):
    with pytest.raises(Exception) as te:
        LOADER_ERRORS[i](TD, _tds())
    with pytest.raises(Exception) as ke:
        LOADER_ERRORS[i](KD, _kds())
    assert isinstance(ke.value, te.type), (ke.value, te.value)


class Stream(KD.IterableDataset):
    """0..n-1, split between workers by get_worker_info()."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = KD.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


class TorchStream(TD.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = TD.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def test_iterable_dataset_single_process():
    k = [b.tolist() for b in KD.DataLoader(Stream(7), batch_size=3)]
    t = [b.tolist() for b in TD.DataLoader(TorchStream(7), batch_size=3)]
    assert k == t == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in KD.DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert len(KD.DataLoader(Stream(7), batch_size=3)) == 3
    assert list(KD.DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]  # ints stay ints, as in torch
    with pytest.raises(ValueError):
        KD.DataLoader(Stream(3), shuffle=True)


# ---- worker processes ----------------------------------------------------------------------------
def _batches(dl):
    return [[t.numpy().tolist() for t in b] if isinstance(b, list) else b for b in dl]


@needs_fork
@pytest.mark.parametrize("kw", [dict(batch_size=3), dict(batch_size=3, shuffle=True), dict(batch_size=4, drop_last=True, shuffle=True), dict(batch_size=None)])
def test_workers_give_same_batches_as_main_process(kw):
    ref_loader = KD.DataLoader(_kds(), **kw)
    kitty.manual_seed(123)
    ref = [_batches(ref_loader) for _ in range(2)]
    loader = KD.DataLoader(_kds(), num_workers=2, multiprocessing_context="fork", **kw)
    kitty.manual_seed(123)
    got = [_batches(loader) for _ in range(2)]
    assert got == ref


@needs_fork
def test_workers_iterable_dataset_order_matches_torch():
    k = [b.tolist() for b in KD.DataLoader(Stream(11), batch_size=2, num_workers=2, multiprocessing_context="fork")]
    t = [b.tolist() for b in TD.DataLoader(TorchStream(11), batch_size=2, num_workers=2, multiprocessing_context="fork")]
    assert k == t


class WhoAmI(KD.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = KD.get_worker_info()
        return (i, info.id, info.num_workers, info.seed, int(kitty.randint(0, 2**30, (1,)).item()), os.getpid(), _INIT.get("id", -1))


_INIT = {}


def _init_fn(worker_id):
    _INIT["id"] = worker_id


@needs_fork
def test_worker_info_seeds_and_init_fn():
    dl = KD.DataLoader(WhoAmI(), batch_size=2, num_workers=2, worker_init_fn=_init_fn, multiprocessing_context="fork")
    rows = [tuple(int(v) for v in col) for b in dl for col in zip(*[c.tolist() for c in b])]
    assert [r[0] for r in rows] == list(range(8))
    by_worker = {r[1]: r for r in rows}
    assert set(by_worker) == {0, 1}
    assert all(r[2] == 2 for r in rows)
    assert by_worker[1][3] == by_worker[0][3] + 1  # seed = base_seed + worker_id
    assert {r[1] for r in rows} == {r[6] for r in rows}  # worker_init_fn ran in each worker
    assert len({r[5] for r in rows}) == 2 and os.getpid() not in {r[5] for r in rows}
    assert by_worker[0][4] != by_worker[1][4]  # workers' global generators differ
    assert KD.get_worker_info() is None


class Failing(KD.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 4:
            raise KeyError("missing sample 4")
        return i


@needs_fork
def test_worker_exception_is_reraised():
    dl = KD.DataLoader(Failing(), batch_size=2, num_workers=2, multiprocessing_context="fork")
    it = iter(dl)
    assert next(it).tolist() == [0, 1]
    assert next(it).tolist() == [2, 3]
    with pytest.raises(KeyError, match="missing sample 4"):
        next(it)


class Dies(KD.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            os._exit(3)
        return i


@needs_fork
def test_dead_worker_is_reported():
    dl = KD.DataLoader(Dies(), batch_size=1, num_workers=1, multiprocessing_context="fork")
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(dl)


class Unpicklable(KD.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return lambda: i


@needs_fork
def test_unpicklable_batch_is_an_error():
    dl = KD.DataLoader(Unpicklable(), batch_size=None, num_workers=1, multiprocessing_context="fork")
    with pytest.raises(Exception, match="pickling the batch"):
        list(dl)


@needs_fork
def test_persistent_workers():
    dl = KD.DataLoader(_kds(), batch_size=4, shuffle=True, num_workers=2, persistent_workers=True, multiprocessing_context="fork")
    kitty.manual_seed(9)
    epochs = [_batches(dl) for _ in range(3)]
    pids = {w.pid for w in dl._iterator._workers}
    assert len(pids) == 2
    # as torch: the workers' base seed is drawn once, when they start, not at each epoch
    ref = TD.DataLoader(_tds(), batch_size=4, shuffle=True, num_workers=2, persistent_workers=True, multiprocessing_context="fork")
    torch.manual_seed(9)
    assert epochs == [_batches(ref) for _ in range(3)]
    assert kitty.rand(3).tolist() == torch.rand(3).tolist()
    ref._iterator._shutdown_workers()
    it = KD.DataLoader(Stream(5), batch_size=2, num_workers=2, persistent_workers=True, multiprocessing_context="fork")
    assert [b.tolist() for b in it] == [b.tolist() for b in it] == [[0, 2], [1, 3], [4]]
    dl._iterator._shutdown_workers()
    it._iterator._shutdown_workers()


class _Draws:
    """Each item a number drawn from the worker's global generator."""

    def __init__(self, lib) -> None:
        self.lib = lib

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i):
        return self.lib.rand(1).item()


@needs_fork
def test_persistent_workers_generators_run_on_across_epochs():
    seen = {}
    for M, lib in ((KD, kitty), (TD, torch)):
        dl = M.DataLoader(_Draws(lib), batch_size=None, num_workers=1, persistent_workers=True, multiprocessing_context="fork")
        lib.manual_seed(3)
        seen[lib] = [list(dl) for _ in range(2)]
        dl._iterator._shutdown_workers()
    assert seen[kitty] == seen[torch]
    assert seen[kitty][0] != seen[kitty][1]  # not reseeded at the second epoch


def test_workers_with_spawn():
    ds = KD.TensorDataset(kitty.tensor(X), kitty.tensor(Y))
    kitty.manual_seed(4)
    ref = _batches(KD.DataLoader(ds, batch_size=3, shuffle=True))
    kitty.manual_seed(4)
    got = _batches(KD.DataLoader(ds, batch_size=3, shuffle=True, num_workers=2, multiprocessing_context="spawn"))
    assert got == ref


def test_workers_shut_down_when_iterator_is_dropped():
    ctx = "fork" if FORK_OK else "spawn"
    it = iter(KD.DataLoader(_kds(), batch_size=1, num_workers=2, multiprocessing_context=ctx))
    next(it)
    workers = list(it._workers)
    del it
    import gc

    gc.collect()
    for w in workers:
        w.join(timeout=10)
        assert not w.is_alive()


@needs_fork
@pytest.mark.parametrize("workers", [0, 2])
def test_iterators_carry_torchs_class_names(workers):
    # libraries and scripts check isinstance(it, dataloader._MultiProcessingDataLoaderIter)
    ours = iter(KD.DataLoader(KD.TensorDataset(kitty.arange(4)), batch_size=2, num_workers=workers))
    theirs = iter(TD.DataLoader(TD.TensorDataset(torch.arange(4)), batch_size=2, num_workers=workers))
    assert type(ours).__name__ == type(theirs).__name__
    assert isinstance(ours, getattr(KD.dataloader, type(theirs).__name__))
    assert isinstance(ours, KD.dataloader._BaseDataLoaderIter)
    del ours, theirs


def _multi_epochs_loader(data):
    """timm's MultiEpochsDataLoader: clears torch's private _DataLoader__initialized to swap in a
    sampler that never ends, and reads every epoch from one iterator."""

    class Repeat:
        def __init__(self, sampler):
            self.sampler = sampler

        def __iter__(self):
            while True:
                yield from iter(self.sampler)

    class MultiEpochs(data.DataLoader):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._DataLoader__initialized = False
            self.batch_sampler = Repeat(self.batch_sampler)
            self._DataLoader__initialized = True
            self.iterator = super().__iter__()

        def __len__(self):
            return len(self.batch_sampler.sampler)

        def __iter__(self):
            for _ in range(len(self)):
                yield next(self.iterator)

    return MultiEpochs


def test_subclass_may_unlock_the_loader_as_under_torch():
    torch.manual_seed(3)
    kitty.manual_seed(3)
    theirs = _multi_epochs_loader(TD)(TD.TensorDataset(torch.arange(10)), batch_size=4, shuffle=True)
    ours = _multi_epochs_loader(KD)(KD.TensorDataset(kitty.arange(10)), batch_size=4, shuffle=True)
    for _ in range(3):
        assert [b[0].tolist() for b in ours] == [b[0].tolist() for b in theirs]
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        KD.DataLoader(KD.TensorDataset(kitty.arange(3))).batch_size = 2


def test_collate_fn_map_extends_default_collate_as_torchs_docs_show():
    from torch.utils.data._utils import collate as theirs

    from kittygrad.utils.data._utils import collate as ours

    assert [getattr(f, "__name__", f) for f in ours.default_collate_fn_map.values()] == [
        f.__name__ for f in theirs.default_collate_fn_map.values()]

    def join(batch, *, collate_fn_map=None):
        return "+".join(batch)

    for mod, lib in ((ours, kitty), (theirs, torch)):
        table = {**mod.default_collate_fn_map, str: join}
        out = mod.collate([("a", 1), ("b", 2)], collate_fn_map=table)
        assert out[0] == "a+b" and out[1].tolist() == [1, 2]

    class Point:
        def __init__(self, x):
            self.x = x

    # an entry added to the shared table reaches every later default_collate
    ours.default_collate_fn_map[Point] = lambda batch, *, collate_fn_map=None: [p.x for p in batch]
    try:
        assert KD.default_collate([{"p": Point(1)}, {"p": Point(2)}]) == {"p": [1, 2]}
    finally:
        del ours.default_collate_fn_map[Point]


def test_more_workers_than_cpus_warns_as_torch():
    import warnings
    from unittest import mock

    def messages(lib, workers):
        with mock.patch("os.sched_getaffinity", return_value={0, 1}), warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.arange(4)), num_workers=workers)
            it = iter(loader)  # torch checks again when it starts the workers
            del it
        return [str(w.message) for w in record]

    for workers in (2, 3):
        assert messages(kitty, workers) == messages(torch, workers)
    assert len(messages(kitty, 3)) == 2 and "will create 3 worker processes" in messages(kitty, 3)[0]
