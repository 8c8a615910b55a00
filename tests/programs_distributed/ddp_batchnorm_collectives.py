"""A small CNN with BatchNorm under DDP (``broadcast_buffers`` on: rank 0's running statistics go to
every rank at each forward), a config broadcast with ``broadcast_object_list``, evaluation results
gathered with ``all_gather``/``gather_object``, a sharded sum with ``reduce_scatter_tensor`` and the
other collectives a training script reaches for (``reduce``, ``scatter``, MAX/MIN/AVG all-reduces).

tolerance: rtol=2e-4 atol=1e-5
"""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


class SmallCNN(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, 2 * channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(2 * channels)
        self.fc = nn.Linear(2 * channels * 2 * 2, 2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


def make_images(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g) * 0.5
    y = torch.randint(0, 2, (n,), generator=g)
    x[y == 1, :, 2:6, 2:6] += 1.0  # class 1 has a bright square
    return TensorDataset(x, y)


def main():
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    world = dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])

    config = [{"channels": 4, "lr": 0.05, "epochs": 3, "batch_size": 16} if rank == 0 else None]
    dist.broadcast_object_list(config, src=0)
    cfg = config[0]
    if rank == 0:
        print("config", sorted(cfg.items()))

    torch.manual_seed(1 + rank)
    model = DDP(SmallCNN(cfg["channels"]), broadcast_buffers=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9, nesterov=True)
    train = make_images(160, 0)
    sampler = DistributedSampler(train, seed=5)
    loader = DataLoader(train, batch_size=cfg["batch_size"], sampler=sampler)

    for epoch in range(cfg["epochs"]):
        sampler.set_epoch(epoch)
        model.train()
        loss_sum = torch.zeros(1)
        worst = torch.zeros(1)
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()
            worst = torch.maximum(worst, loss.detach())
        dist.all_reduce(loss_sum, op=dist.ReduceOp.AVG)
        dist.all_reduce(worst, op=dist.ReduceOp.MAX)
        bn = model.module.bn1
        means = [torch.zeros_like(bn.running_mean) for _ in range(world)]
        dist.all_gather(means, bn.running_mean)
        if rank == 0:
            print(f"epoch {epoch} mean loss {loss_sum.item() / len(loader):.5f} worst batch {worst.item():.5f} "
                  f"bn1 batches {bn.num_batches_tracked.item()} running_mean r0 {means[0].tolist()} "
                  f"r1 {means[1].tolist()}")

    # one more forward: every rank now starts from rank 0's buffers
    model(train.tensors[0][:4])
    var = [torch.zeros_like(model.module.bn2.running_var) for _ in range(world)]
    dist.all_gather(var, model.module.bn2.running_var)
    if rank == 0:
        print(f"bn2 running_var equal across ranks after a forward {torch.equal(var[0], var[1])}")

    # evaluation: each rank scores its shard, rank 0 collects everything
    model.eval()
    test = make_images(64, 1)
    shard = DistributedSampler(test, shuffle=False)
    idx = torch.tensor(list(shard))
    with torch.no_grad():
        logits = model(test.tensors[0][idx])
    preds = logits.argmax(1)
    gathered = [torch.zeros_like(preds) for _ in range(world)]
    dist.all_gather(gathered, preds)
    every_idx = [torch.zeros_like(idx) for _ in range(world)]
    dist.all_gather(every_idx, idx)
    correct = (torch.cat(gathered) == test.tensors[1][torch.cat(every_idx)]).float().mean()
    stats = {"rank": rank, "n": len(idx), "pos": int(preds.sum())}
    collected = [None] * world if rank == 0 else None
    dist.gather_object(stats, collected, dst=0)
    if rank == 0:
        print(f"test accuracy {correct.item():.4f} per-rank {collected}")

    # a sharded sum of the logits per class: each rank ends with its slice of the total
    flat = torch.cat([logits.sum(0), logits.pow(2).sum(0)])  # 4 values, 2 per rank
    part = torch.zeros(flat.numel() // world)
    dist.reduce_scatter_tensor(part, flat, op=dist.ReduceOp.SUM)
    parts = [torch.zeros_like(part) for _ in range(world)]
    dist.all_gather(parts, part)
    total = flat.clone()
    dist.reduce(total, dst=0, op=dist.ReduceOp.SUM)
    if rank == 0:
        print(f"reduce_scatter parts {[round(v, 4) for v in torch.cat(parts).tolist()]} "
              f"reduce {[round(v, 4) for v in total.tolist()]}")

    chunk = torch.zeros(3)
    dist.scatter(chunk, [torch.arange(3.0) + 10 * r for r in range(world)] if rank == 0 else None, src=0)
    smallest = torch.tensor([float(local_rank + 1)])
    dist.all_reduce(smallest, op=dist.ReduceOp.MIN)
    chunks = [torch.zeros(3) for _ in range(world)]
    dist.all_gather(chunks, chunk)
    if rank == 0:
        print(f"scatter {[c.tolist() for c in chunks]} min {smallest.item()}")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
