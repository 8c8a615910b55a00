"""The torch.utils.data toolbox beyond a plain DataLoader: TensorDataset, random_split by counts and
by fractions with a seeded generator, Subset (and its .indices/.dataset), ConcatDataset (+ on
datasets, cumulative_sizes), an IterableDataset and ChainDataset, the samplers (SequentialSampler,
RandomSampler with and without replacement and num_samples, SubsetRandomSampler,
WeightedRandomSampler for class balancing, BatchSampler with drop_last), DataLoader with
batch_sampler=, batch_size=None, drop_last, a generator, a collate_fn, default_collate on dicts /
tuples / namedtuples / numbers, and a k-fold cross-validation loop training a small model on the
folds.
"""
import collections

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)
from torch.utils.data.dataloader import default_collate

torch.manual_seed(0)

X = torch.randn(20, 3)
y = (X[:, 0] + 0.5 * X[:, 1] > 0.8).long()  # imbalanced labels
ds = TensorDataset(X, y)
print("len", len(ds), "item", ds[3][0].shape, ds[3][1], "tensors", len(ds.tensors))
print("label counts", torch.bincount(y).tolist())

# ---- random_split ------------------------------------------------------------------------------
g = torch.Generator().manual_seed(42)
train, val, test = random_split(ds, [12, 5, 3], generator=g)
print("split sizes", len(train), len(val), len(test), type(train).__name__)
print("train indices", train.indices)
print("val indices", val.indices, "same base", val.dataset is ds)
a, b = random_split(range(10), [0.7, 0.3], generator=torch.Generator().manual_seed(1))
print("fractional split", list(a), list(b))
a, b, c = random_split(range(10), [0.34, 0.33, 0.33], generator=torch.Generator().manual_seed(2))
print("fractions with remainder", len(a), len(b), len(c))
try:
    random_split(ds, [10, 5])
except ValueError as e:
    print("ValueError:", e)

sub = Subset(ds, [0, 2, 4, 6])
print("subset", len(sub), sub[1][0], sub[1][1])
print("subset of subset", Subset(sub, [3, 0])[0][1], sub.indices)

# ---- ConcatDataset -----------------------------------------------------------------------------
extra = TensorDataset(torch.ones(4, 3), torch.ones(4, dtype=torch.long))
cat = ConcatDataset([train, extra])
print("concat", len(cat), cat.cumulative_sizes, cat[12][0], cat[-1][1])
both = train + extra
print("dataset + dataset", type(both).__name__, len(both))


# ---- iterable datasets -------------------------------------------------------------------------
class Counter(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        for i in range(self.start, self.stop):
            yield torch.tensor([float(i), float(i) ** 2])


chain = ChainDataset([Counter(0, 3), Counter(10, 12)])
print("chain", [t.tolist() for t in chain])
print("iterable batches", [b.shape for b in DataLoader(Counter(0, 7), batch_size=3)])
print("iterable drop_last", [b[:, 0].tolist() for b in DataLoader(Counter(0, 7), batch_size=3, drop_last=True)])

# ---- samplers ----------------------------------------------------------------------------------
print("sequential", list(SequentialSampler(range(5))))
print("random", list(RandomSampler(range(6), generator=torch.Generator().manual_seed(3))))
print("random w/ replacement", list(RandomSampler(range(6), replacement=True, num_samples=8,
                                                  generator=torch.Generator().manual_seed(3))))
print("random num_samples > n", list(RandomSampler(range(4), num_samples=6, generator=torch.Generator().manual_seed(5))))
print("subset random", list(SubsetRandomSampler([10, 11, 12, 13], generator=torch.Generator().manual_seed(4))))
print("batch sampler", list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)))
print("batch sampler drop_last", list(BatchSampler(range(7), 3, True)), len(BatchSampler(range(7), 3, True)))

class_count = torch.bincount(y)
sample_weights = (1.0 / class_count.float())[y]
wrs = WeightedRandomSampler(sample_weights, num_samples=40, replacement=True,
                            generator=torch.Generator().manual_seed(7))
drawn = torch.tensor(list(wrs))
print("weighted sampler", len(wrs), "drawn labels", torch.bincount(y[drawn]).tolist())
print("no replacement", sorted(WeightedRandomSampler([0.1, 0.9, 0.4, 0.0, 0.3], 3, replacement=False,
                                                     generator=torch.Generator().manual_seed(0))))

# ---- DataLoader variants -----------------------------------------------------------------------
loader = DataLoader(ds, batch_size=6, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(9))
print("len(loader)", len(loader))
for xb, yb in loader:
    print("batch", xb.shape, yb.tolist())

bs_loader = DataLoader(ds, batch_sampler=BatchSampler(RandomSampler(ds, generator=torch.Generator().manual_seed(1)),
                                                      batch_size=8, drop_last=False))
print("batch_sampler loader", [yb.shape[0] for _, yb in bs_loader], len(bs_loader))
unbatched = DataLoader(sub, batch_size=None)
first = next(iter(unbatched))
print("batch_size=None", first[0].shape, first[1])

Pair = collections.namedtuple("Pair", ["left", "right"])
print("collate dicts", default_collate([{"a": torch.zeros(2), "b": 1}, {"a": torch.ones(2), "b": 2}]))
print("collate tuples", default_collate([(1, 2.0), (3, 4.0)]))
print("collate namedtuple", default_collate([Pair(torch.tensor(1), 0.5), Pair(torch.tensor(2), 1.5)]))
print("collate nested", default_collate([[torch.zeros(1), (1, 2)], [torch.ones(1), (3, 4)]]))
print("collate strings", default_collate(["ab", "cd"]))


def collate_with_mask(batch):
    xs, ys = zip(*batch)
    xs = torch.stack(xs)
    return {"x": xs, "y": torch.stack(ys), "mask": xs.abs().sum(1) > 2.0}


out = next(iter(DataLoader(val, batch_size=5, collate_fn=collate_with_mask)))
print("custom collate", sorted(out), out["mask"].tolist(), out["y"].dtype)

# ---- k-fold cross-validation on index subsets --------------------------------------------------
k = 4
perm = torch.randperm(len(ds), generator=torch.Generator().manual_seed(11)).tolist()
folds = [perm[i::k] for i in range(k)]
scores = []
for fold in range(k):
    val_idx = folds[fold]
    train_idx = [i for f in range(k) if f != fold for i in folds[f]]
    torch.manual_seed(fold)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    train_loader = DataLoader(ds, batch_size=5, sampler=SubsetRandomSampler(train_idx,
                                                                           generator=torch.Generator().manual_seed(fold)))
    for epoch in range(15):
        for xb, yb in train_loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        xv, yv = next(iter(DataLoader(Subset(ds, val_idx), batch_size=len(val_idx))))
        val_loss = F.cross_entropy(model(xv), yv).item()
        acc = (model(xv).argmax(1) == yv).float().mean().item()
    scores.append(acc)
    print(f"fold {fold} train {len(train_idx)} val {len(val_idx)} loss {loss.item():.4f} val_loss {val_loss:.4f} acc {acc:.2f}")
print("cv accuracy", f"{sum(scores) / k:.3f}")
