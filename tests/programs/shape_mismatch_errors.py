"""Shape errors as debugging sessions meet them, caught and printed: nn.Linear / matmul / mm / bmm /
mv / dot size and dtype mismatches (batched matmul folded onto mm or sent to bmm), cat / stack /
hstack / vstack, view after transpose or permute vs reshape, bad view sizes, expand / expand_as /
broadcasting / broadcast_shapes, repeat, masked_fill masks and where conditions."""
import torch
import torch.nn as nn


def sec(name):
    torch.manual_seed(0)
    print("==", name)


def tryit(label, fn):
    try:
        r = fn()
        print(label, "OK", r if not isinstance(r, torch.Tensor) else (tuple(r.shape), r.dtype))
    except Exception as e:
        print(label, type(e).__name__, str(e))


sec("linear shapes")
lin = nn.Linear(10, 5)
tryit("lin wrong in", lambda: lin(torch.randn(4, 8)))
tryit("lin 1d", lambda: lin(torch.randn(10)))
tryit("lin 3d", lambda: lin(torch.randn(2, 3, 10)))
tryit("lin double", lambda: lin(torch.randn(4, 10, dtype=torch.float64)))
tryit("lin long", lambda: lin(torch.arange(10)))
tryit("lin int 2d", lambda: lin(torch.ones(3, 10, dtype=torch.int32)))

sec("matmul family")
a = torch.randn(3, 4)
b = torch.randn(5, 6)
tryit("matmul", lambda: torch.matmul(a, b))
tryit("mm", lambda: torch.mm(a, b))
tryit("mm 3d", lambda: torch.mm(torch.randn(2, 3, 4), torch.randn(4, 5)))
tryit("bmm", lambda: torch.bmm(torch.randn(2, 3, 4), torch.randn(3, 4, 5)))
tryit("bmm inner", lambda: torch.bmm(torch.randn(2, 3, 4), torch.randn(2, 5, 5)))
tryit("bmm 2d", lambda: torch.bmm(torch.randn(3, 4), torch.randn(4, 5)))
tryit("@ vec", lambda: a @ torch.randn(5))
tryit("vec @ vec", lambda: torch.randn(3) @ torch.randn(4))
tryit("mv", lambda: torch.mv(a, torch.randn(5)))
tryit("dot", lambda: torch.dot(torch.randn(3), torch.randn(4)))
tryit("dot dtype", lambda: torch.dot(torch.randn(3), torch.randn(3, dtype=torch.float64)))
tryit("mm dtype", lambda: torch.mm(a, torch.randn(4, 2, dtype=torch.float64)))
tryit("matmul dtype", lambda: a @ torch.ones(4, 2, dtype=torch.long))
tryit("matmul batched", lambda: torch.randn(2, 3, 4) @ torch.randn(3, 4, 5))
tryit("matmul 0d", lambda: torch.matmul(torch.tensor(1.0), torch.randn(3)))

sec("cat stack")
tryit("cat", lambda: torch.cat([torch.randn(2, 3), torch.randn(2, 4)]))
tryit("cat dim1", lambda: torch.cat([torch.randn(2, 3), torch.randn(3, 4)], dim=1))
tryit("cat ndim", lambda: torch.cat([torch.randn(2, 3), torch.randn(3)]))
tryit("cat empty", lambda: torch.cat([]))
tryit("cat dim oob", lambda: torch.cat([torch.randn(2, 3)], dim=2))
tryit("cat tensor", lambda: torch.cat(torch.randn(2, 3)))
tryit("cat mixed dtype", lambda: torch.cat([torch.randn(2), torch.arange(2)]))
tryit("stack", lambda: torch.stack([torch.randn(2, 3), torch.randn(2, 4)]))
tryit("stack3", lambda: torch.stack([torch.randn(3), torch.randn(3), torch.randn(4)]))
tryit("stack empty", lambda: torch.stack([]))
tryit("stack dim", lambda: torch.stack([torch.randn(3)], dim=3))
tryit("hstack", lambda: torch.hstack([torch.randn(2, 3), torch.randn(3, 3)]))
tryit("vstack", lambda: torch.vstack([torch.randn(2, 3), torch.randn(2, 4)]))

sec("view reshape")
x = torch.randn(4, 6)
tryit("view bad", lambda: x.view(5, 5))
tryit("view -1 bad", lambda: x.view(-1, 5))
tryit("view two -1", lambda: x.view(-1, -1))
tryit("view after t", lambda: x.t().view(24))
tryit("view after transpose", lambda: x.transpose(0, 1).view(-1, 4))
tryit("view after permute", lambda: torch.randn(2, 3, 4).permute(0, 2, 1).view(2, -1))
tryit("reshape after t", lambda: x.t().reshape(24))
tryit("reshape bad", lambda: x.reshape(7, -1))
tryit("view neg", lambda: x.view(-2, 12))
tryit("flatten", lambda: x.flatten(0, 3))
tryit("unflatten", lambda: x.unflatten(1, (4, 2)))
tryit("squeeze dim", lambda: x.squeeze(2))
tryit("unsqueeze dim", lambda: x.unsqueeze(4))
tryit("transpose dim", lambda: x.transpose(0, 2))
tryit("permute", lambda: torch.randn(2, 3, 4).permute(0, 1))
tryit("permute dup", lambda: torch.randn(2, 3, 4).permute(0, 1, 1))
tryit("view dtype", lambda: x.view(torch.int32).shape)
tryit("contig view", lambda: x.t().contiguous().view(24))

sec("expand broadcast")
tryit("expand", lambda: torch.randn(3, 1).expand(3, 4).shape)
tryit("expand bad", lambda: torch.randn(3, 2).expand(3, 4))
tryit("expand fewer", lambda: torch.randn(3, 2).expand(2))
tryit("expand_as", lambda: torch.randn(3, 2).expand_as(torch.randn(4, 4)))
tryit("add bc", lambda: torch.randn(3, 4) + torch.randn(3))
tryit("add bc2", lambda: torch.randn(2, 3, 4) + torch.randn(2, 4))
tryit("mul bc", lambda: torch.randn(5, 1, 3) * torch.randn(4, 2))
tryit("inplace bc", lambda: torch.randn(3).add_(torch.randn(2, 3)))
tryit("broadcast_tensors", lambda: torch.broadcast_tensors(torch.randn(3), torch.randn(4)))
tryit("broadcast_shapes", lambda: torch.broadcast_shapes((3, 1), (1, 4), (2,)))
tryit("repeat fewer", lambda: torch.randn(3, 4).repeat(2))
tryit("masked_fill shape", lambda: torch.randn(3, 4).masked_fill(torch.ones(4, 3, dtype=torch.bool), 0))
tryit("masked_fill float mask", lambda: torch.randn(3, 4).masked_fill(torch.ones(3, 4), 0))
tryit("where", lambda: torch.where(torch.ones(3, dtype=torch.bool), torch.randn(4), 0.0))
tryit("where nonbool", lambda: torch.where(torch.ones(3), torch.randn(3), 0.0))
