"""Gradient accumulation under DDP: micro-batches inside ``model.no_sync()`` keep their gradients
local, the last micro-batch of each step all-reduces the accumulated sum. Adam, gradient clipping,
a cosine schedule; the ranks' gradients are compared after the first synchronised step.

tolerance: rtol=1e-4 atol=1e-6
"""
import contextlib
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

ACCUM_STEPS = 3


def build_dataset():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(240, 6, generator=g) * 4 - 2
    y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:2] ** 2 - x[:, 2:3] * x[:, 3:4] + 0.05 * torch.randn(240, 1, generator=g)
    return TensorDataset(x, y)


def grads_of(model):
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


def main():
    dist.init_process_group(backend="gloo", init_method="env://")
    rank = int(os.environ["RANK"])
    world_size = int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ["LOCAL_RANK"])
    assert local_rank == rank  # one machine

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 24), nn.Tanh(), nn.Linear(24, 24), nn.GELU(), nn.Linear(24, 1))
    model = DDP(model)
    dataset = build_dataset()
    sampler = DistributedSampler(dataset, shuffle=True, seed=11, drop_last=True)
    loader = DataLoader(dataset, batch_size=10, sampler=sampler, drop_last=False)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    epochs = 5
    steps_per_epoch = len(loader) // ACCUM_STEPS
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    loss_fn = nn.MSELoss()
    if rank == 0:
        print(f"micro-batches per epoch {len(loader)}, optimizer steps per epoch {steps_per_epoch}")

    checked = False
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        total, count, clipped = 0.0, 0, 0.0
        optimizer.zero_grad(set_to_none=True)
        for i, (x, y) in enumerate(loader):
            last = (i + 1) % ACCUM_STEPS == 0
            ctx = contextlib.nullcontext() if last else model.no_sync()
            with ctx:
                loss = loss_fn(model(x), y) / ACCUM_STEPS
                loss.backward()
            total += loss.item() * ACCUM_STEPS * len(y)
            count += len(y)
            if not last:
                continue
            if not checked:
                # after a synchronised backward every rank holds the same averaged gradient
                g = grads_of(model.module)
                gathered = [torch.empty_like(g) for _ in range(world_size)]
                dist.all_gather(gathered, g)
                if rank == 0:
                    diff = max((t - gathered[0]).abs().max().item() for t in gathered)
                    print(f"first step grad norm {g.norm().item():.6f} max diff across ranks {diff:.1e}")
                checked = True
            clipped += torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0).item()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
        metrics = torch.tensor([total, float(count), clipped])
        dist.all_reduce(metrics, op=dist.ReduceOp.SUM)
        if rank == 0:
            print(f"epoch {epoch}: mse {metrics[0].item() / metrics[1].item():.5f} samples {int(metrics[1].item())} "
                  f"mean pre-clip norm {metrics[2].item() / (world_size * steps_per_epoch):.5f} "
                  f"lr {optimizer.param_groups[0]['lr']:.6f}")

    # a no_sync backward alone leaves the ranks' gradients different
    torch.manual_seed(100 + rank)
    x = torch.randn(8, 6)
    with model.no_sync():
        model(x).pow(2).mean().backward()
    g = grads_of(model.module)
    gathered = [torch.empty_like(g) for _ in range(world_size)]
    dist.all_gather(gathered, g)
    if rank == 0:
        print(f"after no_sync only: ranks differ {not torch.allclose(gathered[0], gathered[1])}")
    model(x).pow(2).mean().backward()  # this one averages the accumulated sum
    g = grads_of(model.module)
    dist.all_gather(gathered, g)
    if rank == 0:
        print(f"after a synced backward: ranks agree {torch.allclose(gathered[0], gathered[1])} "
              f"norm {g.norm().item():.5f}")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
