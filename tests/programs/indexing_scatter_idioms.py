"""Advanced indexing and scatter idioms from data-wrangling code: boolean masks, index tensors,
``x[idx] += v`` (duplicates apply once), index_add_/index_copy_/index_fill_, scatter_ and
scatter_add_, scatter_reduce with every reduce (with and without include_self), gather,
take_along_dim, masked_scatter_, masked_fill with broadcasting, and index_put_ with accumulate."""
import torch

torch.manual_seed(0)
x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
print(x[x > 5], x[x > 5].shape)
mask = torch.tensor([True, False, True])
print(x[mask], x[mask, 1:3], x[:, torch.tensor([True, False, False, True])])
print(x[[0, 2]], x[[0, 2], [1, 3]], x[torch.tensor([[0], [2]]), torch.tensor([1, 3])])
print(x[..., 1], x[1, ...], x[None, 1, None].shape, x[-1, -2])
print(x[torch.tensor(1)], x[torch.tensor([2, 0]), 1:])

y = torch.zeros(5)
idx = torch.tensor([0, 1, 1, 3])
y[idx] += 1.0
print("dup += applies once:", y)
y.index_put_((idx,), torch.ones(4), accumulate=True)
print("index_put_ accumulate:", y)
z = torch.zeros(2, 5)
z[:, [1, 4]] = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
z[z == 0] = -1.0
print(z)
z[0] = 9
print(z, z.dtype)

base = torch.zeros(5, 3)
src = torch.arange(9, dtype=torch.float32).reshape(3, 3)
print(base.clone().index_add_(0, torch.tensor([0, 4, 0]), src))
print(base.clone().index_add_(0, torch.tensor([0, 4, 0]), src, alpha=-0.5))
print(base.clone().index_copy_(0, torch.tensor([4, 1, 2]), src))
print(base.clone().index_fill_(1, torch.tensor([0, 2]), 7.5))
print(torch.index_select(src, 0, torch.tensor([2, 2, 0])))

t = torch.zeros(3, 5)
index = torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]])
print(t.clone().scatter_(0, index, torch.arange(1.0, 11.0).reshape(2, 5)))
print(t.clone().scatter_(1, torch.tensor([[1], [3], [0]]), 4.0))
print(t.clone().scatter_add_(0, index, torch.ones(2, 5)))
print(torch.zeros(2, 4).scatter_(1, torch.tensor([[2], [1]]), 1.23, reduce="add"))
print(torch.ones(2, 4).scatter_(1, torch.tensor([[2], [1]]), 3.0, reduce="multiply"))

vals = torch.tensor([5.0, 1.0, 7.0, 2.0, 3.0, 8.0])
groups = torch.tensor([0, 1, 0, 1, 2, 0])
for reduce in ["sum", "prod", "mean", "amax", "amin"]:
    for include_self in [True, False]:
        out = torch.full((4,), 2.0).scatter_reduce(0, groups, vals, reduce=reduce, include_self=include_self)
        print(reduce, include_self, out)
ints = torch.tensor([5, 1, 7, 2, 3, 8])
print(torch.zeros(3, dtype=torch.long).scatter_reduce(0, groups, ints, reduce="mean"))
print(torch.zeros(3, dtype=torch.long).scatter_reduce(0, groups, ints, reduce="mean", include_self=False))
print(torch.zeros(3, dtype=torch.long).scatter_reduce_(0, groups, ints, reduce="amax"))

scores = torch.randn(4, 6)
top = scores.argmax(dim=1, keepdim=True)
print(torch.gather(scores, 1, top).squeeze(1), scores.max(dim=1).values)
order = scores.argsort(dim=1, descending=True)
print(torch.take_along_dim(scores, order, dim=1)[:, :3])
print(torch.take_along_dim(scores, scores.argmax()), torch.take_along_dim(scores, torch.tensor([[0], [5], [1], [2]]), dim=1).shape)
print(torch.take(scores, torch.tensor([[0, 23], [5, 6]])))

m = torch.zeros(2, 4)
msk = torch.tensor([[True, False, True, False], [False, True, True, True]])
print(m.masked_scatter_(msk, torch.arange(10.0, 20.0)))
print(torch.zeros(2, 3).masked_fill(torch.tensor([True, False, True]), float("-inf")))
print(x.masked_fill(x.remainder(3) == 0, 0).int())
print(msk.nonzero(), msk.nonzero(as_tuple=True), torch.argwhere(msk).shape)
print(torch.where(msk), torch.where(msk, 1, 0), torch.where(msk, 1.5, -1).dtype)

# one-hot by scatter and back by argmax; labels remapping with a lookup table
labels = torch.tensor([3, 0, 2, 2, 1])
onehot = torch.zeros(labels.numel(), 4).scatter_(1, labels.unsqueeze(1), 1.0)
print(onehot, onehot.argmax(1), torch.nn.functional.one_hot(labels).dtype)
lut = torch.tensor([10, 20, 30, 40])
print(lut[labels], lut[labels.view(5, 1)].shape, labels[labels > 1].sum().item())
counts = torch.zeros(4, dtype=torch.long)
counts.index_add_(0, labels, torch.ones_like(labels))
print(counts, torch.bincount(labels, minlength=6))
# segment mean with index_add_
feats = torch.randn(5, 3)
sums = torch.zeros(4, 3).index_add_(0, labels, feats)
print(sums / counts.clamp(min=1).unsqueeze(1))

# writes into a non-leaf that requires grad: the recorded node depends on the kind of index
w = torch.ones(2, 3, requires_grad=True)
for index in [1, (slice(None), 0), ..., torch.tensor([0]), w.detach() > 5]:
    h = w * 2
    h[index] = 0.5
    h.sum().backward()
    print(h, w.grad.sum().item())
    w.grad = None
h = w * 1
h[0] += h[1]
print(h)
for bad in [lambda: x[0, 0, 0], lambda: x[torch.tensor([True, False])], lambda: x[:, torch.tensor([True, False])],
            lambda: torch.tensor(2.0)[0], lambda: x[5], lambda: x[:, [0, 9]]]:
    try:
        bad()
    except IndexError as err:
        print("IndexError:", err)
