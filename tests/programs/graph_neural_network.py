"""A tiny graph neural network written by hand: edge_index message passing with index_add_ (GCN
normalisation by degree) and scatter_add_ (mean aggregation), node classification on a two-community
graph, then graph-level readout with scatter-based mean pooling over a batch of graphs.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# two communities of 10 nodes: dense inside, a few bridges between
n = 20
labels = torch.cat([torch.zeros(10, dtype=torch.long), torch.ones(10, dtype=torch.long)])
probs = torch.where(labels[:, None] == labels[None, :], torch.tensor(0.5), torch.tensor(0.05))
adj = (torch.rand(n, n) < probs).float().triu(diagonal=1)
adj = adj + adj.T
edge_index = adj.nonzero().T.contiguous()
print(edge_index.shape, edge_index.dtype, int(adj.sum().item()))
features = torch.randn(n, 8) + labels[:, None].float() * 0.5


def add_self_loops(edge_index, num_nodes):
    loops = torch.arange(num_nodes).unsqueeze(0).repeat(2, 1)
    return torch.cat([edge_index, loops], dim=1)


class GCNLayer(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.lin = nn.Linear(cin, cout, bias=False)
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x, edge_index):
        ei = add_self_loops(edge_index, x.size(0))
        src, dst = ei
        deg = torch.zeros(x.size(0)).index_add_(0, dst, torch.ones(dst.numel()))
        norm = deg[src].rsqrt() * deg[dst].rsqrt()
        h = self.lin(x)
        messages = h[src] * norm.unsqueeze(1)
        out = torch.zeros_like(h).index_add_(0, dst, messages)
        return out + self.bias


class SAGELayer(nn.Module):
    """Mean aggregation with scatter_add_ and an explicit count."""

    def __init__(self, cin, cout):
        super().__init__()
        self.lin_self = nn.Linear(cin, cout)
        self.lin_neigh = nn.Linear(cin, cout, bias=False)

    def forward(self, x, edge_index):
        src, dst = edge_index
        index = dst.unsqueeze(1).expand(-1, x.size(1))
        summed = torch.zeros_like(x).scatter_add_(0, index, x[src])
        count = torch.zeros(x.size(0)).scatter_add_(0, dst, torch.ones(dst.numel())).clamp(min=1)
        return self.lin_self(x) + self.lin_neigh(summed / count.unsqueeze(1))


class GNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = GCNLayer(8, 16)
        self.conv2 = SAGELayer(16, 16)
        self.out = nn.Linear(16, 2)

    def forward(self, x, edge_index):
        x = F.relu(self.conv1(x, edge_index))
        x = F.relu(self.conv2(x, edge_index))
        return self.out(x)


model = GNN()
print(model)
train_mask = torch.zeros(n, dtype=torch.bool)
train_mask[[0, 1, 2, 10, 11, 12]] = True
opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
for epoch in range(60):
    model.train()
    logits = model(features, edge_index)
    loss = F.cross_entropy(logits[train_mask], labels[train_mask])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch:2d} loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    pred = model(features, edge_index).argmax(dim=1)
    acc = (pred[~train_mask] == labels[~train_mask]).float().mean()
    print(pred)
    print(f"test acc {acc.item():.4f}")
    print(model.conv1.lin.weight.grad is not None, model.conv2.lin_neigh.weight.shape)

# graph classification: a batch of three small graphs, global mean pool via scatter_add_
sizes = torch.tensor([4, 6, 5])
batch = torch.repeat_interleave(torch.arange(3), sizes)
print(batch)
node_emb = torch.randn(int(sizes.sum()), 16, requires_grad=True)
pooled = torch.zeros(3, 16).scatter_add(0, batch.unsqueeze(1).expand(-1, 16), node_emb) / sizes.unsqueeze(1)
print(pooled.shape, pooled.grad_fn.name())
pooled.sum().backward()
print(node_emb.grad[:, 0])
print(torch.allclose(pooled[1], node_emb[4:10].mean(dim=0)))
