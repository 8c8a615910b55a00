"""Activation checkpointing with torch.utils.checkpoint: checkpoint() around blocks with
use_reentrant=False, checkpoint_sequential over an nn.Sequential, a checkpointed function with
several inputs and a non-tensor argument, and checks that the gradients equal the plain run's and
that the forward is recomputed during backward.

tolerance: rtol=1e-4 atol=1e-6
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)


class Block(nn.Module):
    calls = 0

    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        Block.calls += 1
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


class Net(nn.Module):
    def __init__(self, dim=16, depth=4, use_checkpoint=False):
        super().__init__()
        self.blocks = nn.ModuleList(Block(dim) for _ in range(depth))
        self.head = nn.Linear(dim, 3)
        self.use_checkpoint = use_checkpoint

    def forward(self, x):
        for block in self.blocks:
            if self.use_checkpoint and self.training:
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        return self.head(x.mean(dim=1))


x = torch.randn(8, 5, 16)
y = torch.randint(0, 3, (8,))
plain = Net()
ckpt = Net(use_checkpoint=True)
ckpt.load_state_dict(plain.state_dict())

Block.calls = 0
loss_plain = F.cross_entropy(plain(x), y)
loss_plain.backward()
print("plain forward calls", Block.calls)

Block.calls = 0
out = ckpt(x)
print("checkpointed forward calls before backward", Block.calls, out.requires_grad)
loss_ckpt = F.cross_entropy(out, y)
loss_ckpt.backward()
print("checkpointed forward calls after backward", Block.calls)
print(f"{loss_plain.item():.6f} {loss_ckpt.item():.6f}")
same = all(torch.allclose(p1.grad, p2.grad, atol=1e-6) for p1, p2 in zip(plain.parameters(), ckpt.parameters()))
print("same grads", same)
print(ckpt.blocks[0].fc1.weight.grad[:2, :4])

# training a few steps with checkpointing
opt = torch.optim.AdamW(ckpt.parameters(), lr=1e-2)
for step in range(10):
    loss = F.cross_entropy(ckpt(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 3 == 0:
        print(f"step {step} loss {loss.item():.4f}")

ckpt.eval()
with torch.no_grad():
    Block.calls = 0
    print(ckpt(x).argmax(dim=1), Block.calls)

# checkpoint_sequential splits a Sequential into segments
seq = nn.Sequential(*[nn.Sequential(nn.Linear(16, 16), nn.Tanh()) for _ in range(6)])
inp = torch.randn(4, 16, requires_grad=True)
out_seq = checkpoint_sequential(seq, 3, inp, use_reentrant=False)
out_seq.sum().backward()
g_ckpt = inp.grad.clone()
inp.grad = None
seq(inp).sum().backward()
print(out_seq.shape, torch.allclose(g_ckpt, inp.grad, atol=1e-6))
print(g_ckpt[0])


# a function of several tensors plus a python flag
def attention(q, k, v, causal):
    scores = q @ k.transpose(-2, -1) / q.size(-1) ** 0.5
    if causal:
        n = scores.size(-1)
        scores = scores.masked_fill(torch.triu(torch.ones(n, n, dtype=torch.bool), 1), float("-inf"))
    return scores.softmax(dim=-1) @ v


q, k, v = (torch.randn(2, 4, 8, requires_grad=True) for _ in range(3))
o1 = checkpoint(attention, q, k, v, True, use_reentrant=False)
o1.pow(2).sum().backward()
grads = [t.grad.clone() for t in (q, k, v)]
for t in (q, k, v):
    t.grad = None
attention(q, k, v, True).pow(2).sum().backward()
print([torch.allclose(a, t.grad, atol=1e-6) for a, t in zip(grads, (q, k, v))])
print(o1[0, 0], o1.grad_fn is not None)
