"""Building models without memory, the way large-checkpoint loaders do: layers constructed with
device="meta" (no values, no draws from the generator, so the random stream matches a run that
never built them), meta reprs of float, int64 and bool tensors, load_state_dict(assign=True) into
the skeleton, the no-op warning when loading without assign, to_empty followed by a seeded
re-initialisation, a nn.Linear subclass forwarding device=, a model whose inputs are placed with
next(model.parameters()).device while its lazy layers are still uninitialized, and strides of
expanded position-id buffers.
"""
import io
import warnings

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, d, device=None):
        super().__init__()
        self.norm = nn.LayerNorm(d, device=device)
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True, device=device)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d, device=device), nn.GELU(), nn.Linear(2 * d, d, device=device))

    def forward(self, x):
        h = self.norm(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.ff(x)


class TinyEncoder(nn.Module):
    def __init__(self, vocab=20, d=8, n_pos=16, device=None):
        super().__init__()
        self.embed = nn.Embedding(vocab, d, padding_idx=0, device=device)
        self.pos = nn.Embedding(n_pos, d, device=device)
        self.blocks = nn.ModuleList([Block(d, device=device) for _ in range(2)])
        self.bn = nn.BatchNorm1d(d, device=device)
        self.head = nn.Linear(d, 3, device=device)
        self.register_buffer("position_ids", torch.arange(n_pos).expand((1, -1)), persistent=False)

    def forward(self, ids):
        h = self.embed(ids) + self.pos(self.position_ids[:, : ids.shape[1]])
        for block in self.blocks:
            h = block(h)
        return self.head(self.bn(h.mean(1)))


class ScaledLinear(nn.Linear):
    def __init__(self, n, scale, device=None):
        super().__init__(n, n, bias=False, device=device)
        self.scale = scale

    def forward(self, x):
        return super().forward(x) * self.scale


torch.manual_seed(0)
reference = torch.rand(3)
torch.manual_seed(0)
skeleton = TinyEncoder(device="meta")
print("draws after a meta build match:", torch.equal(torch.rand(3), reference))
print(skeleton.head.weight)
print(skeleton.bn.num_batches_tracked)
print(skeleton.position_ids)
print(sorted({str(t.device) for t in skeleton.state_dict().values()}))
print(ScaledLinear(4, 0.5, device="meta").weight.is_meta, ScaledLinear(4, 0.5).weight.is_meta)

torch.manual_seed(1)
trained = TinyEncoder()
trained.eval()
buf = io.BytesIO()
torch.save(trained.state_dict(), buf)
buf.seek(0)
state = torch.load(buf, weights_only=True)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    result = skeleton.load_state_dict(state)
print(result, len(caught))
print(str(caught[0].message))
print(skeleton.head.weight.is_meta)

result = skeleton.load_state_dict(state, assign=True)
print(result, skeleton.head.weight.is_meta, type(skeleton.head.weight).__name__)
print(skeleton.head.weight.requires_grad, skeleton.bn.num_batches_tracked)
skeleton.eval()
ids = torch.tensor([[3, 4, 5, 0], [6, 7, 0, 0]])
with torch.no_grad():
    print(torch.allclose(skeleton(ids), trained(ids)))
    print(skeleton(ids))

empty = TinyEncoder(device="meta").to_empty(device="cpu")
torch.manual_seed(2)
for module in empty.modules():
    if isinstance(module, (nn.Linear, nn.Embedding, nn.LayerNorm)):
        module.reset_parameters()
print([(name, tuple(p.shape)) for name, p in empty.named_parameters()][:4])
print(empty.position_ids.shape, empty.position_ids.stride(), trained.position_ids.stride())
print(empty.position_ids[:, :3].expand(2, -1).stride())

try:
    nn.Linear(4, 2, device="meta")(torch.ones(1, 4))
except RuntimeError as e:
    print("forward on meta raised a RuntimeError", isinstance(e, RuntimeError))

torch.manual_seed(3)
lazy = nn.Sequential(nn.LazyLinear(6), nn.ReLU(), nn.LazyLinear(2))
device = next(lazy.parameters()).device
print(device, lazy[0].weight.is_meta, lazy[0].weight.dtype)
out = lazy(torch.randn(5, 4, device=device))
print(out.shape, lazy[0].weight.shape, f"{out.sum().item():.4f}")
