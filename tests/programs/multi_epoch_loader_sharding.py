"""Data-loading machinery of larger training scripts: timm's MultiEpochsDataLoader (clears the
private _DataLoader__initialized to swap in a never-ending batch sampler, one iterator for every
epoch) and its isinstance check of the loader's iterator class, an IterableDataset sharded across
workers with get_worker_info (batch_size=None and batched, drop_last), a worker_init_fn that
splits a range, StackDataset read in batches through a part's __getitems__, default_collate
extended through torch.utils.data._utils.collate.default_collate_fn_map, DistributedSampler
without a process group (ValueError caught; num_replicas/rank given, set_epoch, drop_last),
multinomial's and WeightedRandomSampler's errors for bad weights, and a short training run fed by
the multi-epoch loader.
"""
import math

import torch
import torch.nn as nn
from torch.utils.data import (DataLoader, Dataset, IterableDataset, StackDataset, TensorDataset,
                              WeightedRandomSampler, default_collate, get_worker_info)
from torch.utils.data._utils.collate import collate, default_collate_fn_map
from torch.utils.data.dataloader import _MultiProcessingDataLoaderIter, _SingleProcessDataLoaderIter
from torch.utils.data.distributed import DistributedSampler


class _RepeatSampler:
    def __init__(self, sampler):
        self.sampler = sampler

    def __iter__(self):
        while True:
            yield from iter(self.sampler)


class MultiEpochsDataLoader(DataLoader):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._DataLoader__initialized = False
        if self.batch_sampler is None:
            self.sampler = _RepeatSampler(self.sampler)
        else:
            self.batch_sampler = _RepeatSampler(self.batch_sampler)
        self._DataLoader__initialized = True
        self.iterator = super().__iter__()

    def __len__(self):
        return len(self.sampler) if self.batch_sampler is None else len(self.batch_sampler.sampler)

    def __iter__(self):
        for _ in range(len(self)):
            yield next(self.iterator)


print("== multi-epoch loader")
torch.manual_seed(0)
X = torch.randn(40, 4)
Y = (X[:, 0] - X[:, 1] > 0).long()
loader = MultiEpochsDataLoader(TensorDataset(X, Y), batch_size=16, shuffle=True)
print(len(loader), isinstance(loader.iterator, _SingleProcessDataLoaderIter))
for epoch in range(2):
    print(epoch, [yb[:6].tolist() for _, yb in loader])
try:
    loader.batch_size = 8
except ValueError as e:
    print("ValueError", e)
it = iter(DataLoader(TensorDataset(X), batch_size=20, num_workers=2))
print(isinstance(it, _MultiProcessingDataLoaderIter), len(it))
del it

print("== sharded stream")


class Shards(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        wid, count = (0, 1) if info is None else (info.id, info.num_workers)
        for i in range(wid, self.n, count):
            yield {"i": i, "worker": wid, "x": torch.full((2,), i / 2)}


for workers in (0, 2):
    batches = DataLoader(Shards(9), batch_size=2, num_workers=workers)
    print(workers, [(b["i"].tolist(), b["worker"].tolist()) for b in batches])
print([b["i"].tolist() for b in DataLoader(Shards(9), batch_size=2, num_workers=2, drop_last=True)])
print([b["x"].tolist() for b in DataLoader(Shards(3), batch_size=None, num_workers=2)])


class Span(IterableDataset):
    def __init__(self, n):
        self.n, self.start, self.end = n, 0, n

    def __iter__(self):
        return iter(range(self.start, self.end))


def split_span(worker_id):
    info = get_worker_info()
    per = int(math.ceil(info.dataset.n / float(info.num_workers)))
    info.dataset.start = worker_id * per
    info.dataset.end = min(info.dataset.start + per, info.dataset.n)


print([t.item() for t in DataLoader(Span(7), num_workers=2, worker_init_fn=split_span)])

print("== batched reads and collate table")


class Lookup(Dataset):
    """Read in batches only, as a database lookup would be."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        raise RuntimeError("read one at a time")

    def __getitems__(self, indices):
        return [f"row{i}" for i in indices]


stack = StackDataset(ids=torch.arange(6), text=Lookup())
print(stack.__getitems__([4, 1]))
for batch in DataLoader(stack, batch_size=4):
    print(batch["ids"], batch["text"])


class Span2D:
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi


def collate_span(batch, *, collate_fn_map=None):
    return torch.tensor([[s.lo, s.hi] for s in batch])


table = {**default_collate_fn_map, Span2D: collate_span}
print(collate([(Span2D(0, 3), 1), (Span2D(2, 5), 0)], collate_fn_map=table))
default_collate_fn_map[Span2D] = collate_span
print(default_collate([{"span": Span2D(1, 2)}, {"span": Span2D(3, 4)}]))
del default_collate_fn_map[Span2D]

print("== distributed sampler")
try:
    DistributedSampler(range(10))
except ValueError as e:
    print("ValueError", e)
for rank in range(3):
    sampler = DistributedSampler(range(10), num_replicas=3, rank=rank, shuffle=True, seed=5)
    sampler.set_epoch(2)
    print(rank, list(sampler), len(sampler))
print(list(DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False, drop_last=True)))

print("== bad weights")
for weights, n, replacement in [([1.0, -1.0], 1, True), ([1.0, -1.0], 3, True), ([float("inf"), 1.0], 2, True),
                                ([0.0, 0.0], 2, True), ([1.0, float("nan")], 2, False)]:
    try:
        list(WeightedRandomSampler(weights, n, replacement))
    except RuntimeError as e:
        print(n, replacement, e)
try:
    torch.multinomial(torch.tensor([[1.0, 1.0], [float("nan"), 1.0]]), 3, replacement=True)
except RuntimeError as e:
    print(e)

print("== training")
torch.manual_seed(1)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(4):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(yb)
    with torch.no_grad():
        acc = (model(X).argmax(1) == Y).float().mean().item()
    print(epoch, f"{total / len(X):.4f}", f"{acc:.4f}")
