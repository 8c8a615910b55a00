"""Embedding layers' gradients and argument checks: EmbeddingBag (sum / mean / max, padding_idx,
include_last_offset-free offsets, empty bags), Embedding with padding_idx, scale_grad_by_freq and
max_norm (renormalised rows, and the renorm's own index error), CTC loss values, gradients and its
argument checks (lengths, padded and concatenated targets, blank), and the class-index target checks
of nll_loss / cross_entropy by input rank."""
import torch
import torch.nn as nn
import torch.nn.functional as F

def sec(name):
    torch.manual_seed(0)
    print("==", name)

sec("embedding bag grads")
for mode in ["sum", "mean", "max"]:
    torch.manual_seed(0)
    bag = nn.EmbeddingBag(10, 3, mode=mode, padding_idx=1)
    inp = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9, 1, 1])
    off = torch.tensor([0, 4, 8])
    o = bag(inp, off)
    (o * torch.arange(9.).view(3, 3)).sum().backward()
    print(mode, [f"{v:.4f}" for v in o.flatten().tolist()])
    print(bag.weight.grad.sum(1))
bag = nn.EmbeddingBag(10, 3, mode="sum")
o = bag(torch.tensor([1, 2, 3]), torch.tensor([0, 1, 1, 3]))
print(o)
o = bag(torch.tensor([], dtype=torch.long), torch.tensor([0]))
print(o)

sec("embedding grads")
emb = nn.Embedding(5, 2, padding_idx=2, scale_grad_by_freq=True)
o = emb(torch.tensor([[0, 2, 0, 3], [3, 3, 3, 2]]))
(o * torch.arange(16.).view(2, 4, 2)).sum().backward()
print(emb.weight.grad)
try:
    nn.Embedding(5, 2, max_norm=1.0)(torch.tensor([1, 7]))
except IndexError as e:
    print(type(e).__name__, e)
emb = nn.Embedding(5, 2, max_norm=0.5)
w0 = emb.weight.detach().clone()
o = emb(torch.tensor([0, 1]))
print(emb.weight.norm(dim=1), o.norm(dim=1))
o.sum().backward()
print(emb.weight.grad)

sec("ctc grads")
T, N, C = 8, 2, 4
x = torch.randn(T, N, C, requires_grad=True)
lp = x.log_softmax(-1)
tg = torch.tensor([[1, 2, 2], [3, 1, 0]])
loss = F.ctc_loss(lp, tg, torch.tensor([8, 6]), torch.tensor([3, 2]), blank=0, reduction="mean")
loss.backward()
print(f"{loss.item():.4f}")
print(x.grad[0])
print(x.grad[7])
x2 = torch.randn(T, N, C, dtype=torch.float64, requires_grad=True)
l2 = F.ctc_loss(x2.log_softmax(-1), torch.tensor([1, 2, 2, 3, 1]), torch.tensor([8, 6]), torch.tensor([3, 2]), blank=0, reduction="sum")
l2.backward()
print(l2.dtype, f"{l2.item():.6f}", x2.grad.dtype)
try:
    F.ctc_loss(lp, tg, torch.tensor([8, 9]), torch.tensor([3, 2]))
except Exception as e:
    print(type(e).__name__, e)
try:
    F.ctc_loss(lp, tg, torch.tensor([8, 6]), torch.tensor([3, 4]))
except Exception as e:
    print(type(e).__name__, e)
print(F.ctc_loss(lp, tg.int(), torch.tensor([8, 6], dtype=torch.int32), torch.tensor([3, 2], dtype=torch.int32)).dtype)


sec("ctc argument checks")
lp = torch.randn(8, 2, 4).log_softmax(-1)
tg = torch.tensor([[1, 2, 2], [3, 1, 0]])
cases = [
    ("in>T", lambda: F.ctc_loss(lp, tg, torch.tensor([8, 9]), torch.tensor([3, 2]))),
    ("in>T first", lambda: F.ctc_loss(lp, tg, torch.tensor([9, 8]), torch.tensor([4, 2]))),
    ("tl>S", lambda: F.ctc_loss(lp, tg, torch.tensor([8, 6]), torch.tensor([3, 4]))),
    ("tl>S 0", lambda: F.ctc_loss(lp, tg, torch.tensor([8, 6]), torch.tensor([5, 4]))),
    ("flat short", lambda: F.ctc_loss(lp, torch.tensor([1, 2, 3]), torch.tensor([8, 6]), torch.tensor([3, 2]))),
    ("neg tl", lambda: F.ctc_loss(lp, tg, torch.tensor([8, 6]), torch.tensor([-1, 2]))),
    ("neg il", lambda: F.ctc_loss(lp, tg, torch.tensor([-1, 6]), torch.tensor([1, 2]))),
    ("blank", lambda: F.ctc_loss(lp, tg, torch.tensor([8, 6]), torch.tensor([3, 2]), blank=4)),
    ("blank neg", lambda: F.ctc_loss(lp, tg, torch.tensor([8, 6]), torch.tensor([3, 2]), blank=-1)),
    ("il size", lambda: F.ctc_loss(lp, tg, torch.tensor([8]), torch.tensor([3, 2]))),
    ("tl size", lambda: F.ctc_loss(lp, tg, torch.tensor([8, 6]), torch.tensor([3, 2, 1]))),
    ("tg batch", lambda: F.ctc_loss(lp, tg[:1], torch.tensor([8, 6]), torch.tensor([3, 2]))),
    ("tl>il", lambda: F.ctc_loss(lp, tg, torch.tensor([2, 6]), torch.tensor([3, 2]), reduction="none")),
    ("float tg", lambda: F.ctc_loss(lp, tg.float(), torch.tensor([8, 6]), torch.tensor([3, 2]))),
    ("2d lp", lambda: F.ctc_loss(lp[:, 0], tg[0], torch.tensor([8]), torch.tensor([3]))),
    ("tuple lens", lambda: F.ctc_loss(lp, tg, (8, 6), (3, 2))),
    ("list lens", lambda: F.ctc_loss(lp, tg, [8, 6], [3, 2])),
    ("double lp", lambda: F.ctc_loss(lp.double(), tg, torch.tensor([8, 6]), torch.tensor([3, 2]))),
    ("float lens", lambda: F.ctc_loss(lp, tg, torch.tensor([8., 6]), torch.tensor([3, 2]))),
    ("1d lp", lambda: F.ctc_loss(lp[:, 0, 0], tg[0], torch.tensor([8]), torch.tensor([3]))),
    ("zero tl", lambda: F.ctc_loss(lp, tg, torch.tensor([8, 6]), torch.tensor([0, 0]), reduction="none")),
]
for name, fn in cases:
    try:
        r = fn()
        print(name, "ok", [f"{v:.4f}" for v in r.flatten().tolist()], r.dtype, r.shape)
    except Exception as e:
        print(name, type(e).__name__, e)

sec("class-index target checks")
checks = [((3, 4), (3, 2), torch.long), ((3, 4), (2,), torch.int32), ((4,), (1,), torch.long), ((4,), (2,), torch.long),
          ((3, 4, 5), (3, 4), torch.long), ((3, 4, 5, 6), (3, 5), torch.long), ((3, 4, 5, 6), (3, 5, 5), torch.long),
          ((3, 4), (3, 4), torch.long), ((3, 4), (3,), torch.float32)]
for shape, tshape, tdtype in checks:
    for fn in (F.nll_loss, F.cross_entropy):
        try:
            r = fn(torch.randn(*shape), torch.zeros(*tshape, dtype=tdtype))
            print(fn.__name__, shape, tshape, "ok", tuple(r.shape), f"{r.item():.4f}")
        except (RuntimeError, ValueError) as e:
            print(fn.__name__, shape, tshape, type(e).__name__, e)
try:
    F.cross_entropy(torch.randn(3, 4), torch.softmax(torch.randn(3, 4), 1), ignore_index=1)
except RuntimeError as e:
    print(e)
