"""Hand-written message passing over a random edge_index: to_undirected with cat/flip/unique(dim=1)
(inverse and counts), self-loops, GCN normalisation from bincount degrees with pow(-0.5) and inf
masked, index_add_ against scatter_add_, every scatter_reduce reduction with and without
include_self, a GAT-style per-node softmax from scatter_reduce amax and index_add, and the
gradients of scatter_reduce into the self it leaves out.
"""
import torch
import torch.nn.functional as F

torch.manual_seed(0)
N = 12
E = 30
src = torch.randint(0, N, (E,))
dst = torch.randint(0, N, (E,))
edge_index = torch.stack([src, dst])
print(edge_index)
print(edge_index.shape, edge_index.dtype)

# to_undirected
ei = torch.cat([edge_index, edge_index.flip(0)], dim=1)
ei = torch.unique(ei, dim=1)
print(ei.shape)
print(ei[:, :8])
ei2, inv, cnt = torch.unique(ei, dim=1, return_inverse=True, return_counts=True)
print(inv[:10], cnt[:10])
# remove self loops
mask = ei[0] != ei[1]
ei = ei[:, mask]
loops = torch.arange(N).repeat(2, 1)
print(loops)
ei = torch.cat([ei, loops], dim=1)
print(ei.size(1))

deg = torch.bincount(ei[1], minlength=N)
print(deg, deg.dtype)
print(torch.bincount(ei[0]))
deg_f = deg.float()
dinv = deg_f.pow(-0.5)
dinv[torch.isinf(dinv)] = 0
dinv.masked_fill_(dinv == float("inf"), 0)
print(dinv)
print(torch.zeros(3).pow(-0.5))
norm = dinv[ei[0]] * dinv[ei[1]]
print(norm[:5])

x = torch.randn(N, 4)
out = torch.zeros(N, 4).index_add_(0, ei[1], x[ei[0]] * norm.unsqueeze(-1))
print(out)
out2 = torch.zeros(N, 4).scatter_add_(0, ei[1].unsqueeze(-1).expand(-1, 4), x[ei[0]] * norm.view(-1, 1))
print(torch.allclose(out, out2))

# scatter_reduce
msgs = x[ei[0]]
idx = ei[1].unsqueeze(-1).expand_as(msgs)
for red in ["sum", "mean", "amax", "amin", "prod"]:
    r = torch.zeros(N, 4).scatter_reduce(0, idx, msgs, reduce=red, include_self=False)
    print(red, r[:3])
    r2 = torch.zeros(N, 4).scatter_reduce(0, idx, msgs, reduce=red, include_self=True)
    print(red, "self", r2[:3])
# isolated node with include_self=False
iso = torch.full((N + 2, 4), -1.0).scatter_reduce(0, torch.cat([idx]), msgs, reduce="amax", include_self=False)
print(iso[-3:])

# GAT style
torch.manual_seed(1)
h = torch.randn(N, 8, requires_grad=True)
a_src = torch.randn(8)
a_dst = torch.randn(8)
e = F.leaky_relu((h[ei[0]] @ a_src) + (h[ei[1]] @ a_dst), 0.2)
emax = torch.full((N,), float("-inf")).scatter_reduce(0, ei[1], e, reduce="amax", include_self=False)
print(emax)
ex = (e - emax[ei[1]]).exp()
denom = torch.zeros(N).index_add(0, ei[1], ex)
alpha = ex / denom[ei[1]]
print(alpha[:6])
agg = torch.zeros(N, 8).index_add(0, ei[1], alpha.unsqueeze(-1) * h[ei[0]])
loss = agg.pow(2).sum()
loss.backward()
print(f"{loss.item():.4f}", h.grad[:2])
# softmax check
s = torch.zeros(N).index_add_(0, ei[1], alpha)
print(s)

# scatter_reduce grads
torch.manual_seed(2)
v = torch.randn(E, requires_grad=True)
for red in ["sum", "mean", "amax", "amin", "prod"]:
    base = torch.randn(N, requires_grad=True)
    r = base.scatter_reduce(0, dst, v, reduce=red, include_self=False)
    r.sum().backward()
    print(red, base.grad, v.grad[:6])
    v.grad = None
