"""The DistributedDataParallel boilerplate of training scripts, run as a world of one process (as
scripts do when launched without torchrun): env:// rendezvous, DistributedSampler, DDP, no_sync
gradient accumulation, and rank-0-only logging and checkpointing.

tolerance: rtol=1e-4 atol=1e-6
"""
import os
import tempfile

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
os.environ.setdefault("MASTER_PORT", "29513")
dist.init_process_group("gloo", init_method="env://", rank=0, world_size=1)
rank, world = dist.get_rank(), dist.get_world_size()
print("rank", rank, "of", world, dist.is_initialized())

torch.manual_seed(0)
X = torch.randn(40, 6)
y = (X.sum(1, keepdim=True) > 0).float()
dataset = TensorDataset(X, y)
sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=1)
loader = DataLoader(dataset, batch_size=8, sampler=sampler)
model = DDP(nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1)))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.BCEWithLogitsLoss()
accumulate = 2
for epoch in range(3):
    sampler.set_epoch(epoch)
    total = 0.0
    for i, (xb, yb) in enumerate(loader):
        last = (i + 1) % accumulate == 0
        ctx = model.no_sync() if not last else torch.enable_grad()
        with ctx:
            loss = loss_fn(model(xb), yb) / accumulate
            loss.backward()
        if last:
            opt.step()
            opt.zero_grad()
        total += loss.item()
    t = torch.tensor([total])
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    if rank == 0:
        print(f"epoch {epoch} loss {t.item() / world:.5f}")
if rank == 0:
    path = os.path.join(tempfile.mkdtemp(), "ddp.pt")
    torch.save(model.module.state_dict(), path)
    print(sorted(torch.load(path, weights_only=True).keys()))
dist.barrier()
dist.destroy_process_group()
print("done", dist.is_initialized())
