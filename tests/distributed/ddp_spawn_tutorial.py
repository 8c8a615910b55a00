"""The DistributedDataParallel tutorial's shape, unchanged torch code: ``mp.spawn`` of two demos
(basic training, a checkpoint saved by rank 0 and loaded by all), ``init_process_group("gloo", rank=,
world_size=)`` inside each; ``fail`` as the first argument makes rank 1 raise in the first demo.
"""
import os
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.optim as optim
from torch.nn.parallel import DistributedDataParallel as DDP


def setup(rank, world_size):
    os.environ["MASTER_ADDR"] = "localhost"
    os.environ["MASTER_PORT"] = "12355"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)


def cleanup():
    dist.destroy_process_group()


class ToyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.net1 = nn.Linear(10, 10)
        self.relu = nn.ReLU()
        self.net2 = nn.Linear(10, 5)

    def forward(self, x):
        return self.net2(self.relu(self.net1(x)))


def demo_basic(rank, world_size):
    print(f"Running basic DDP example on rank {rank}.", flush=True)
    setup(rank, world_size)
    torch.manual_seed(0)
    model = ToyModel()
    ddp_model = DDP(model)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.001)
    optimizer.zero_grad()
    torch.manual_seed(rank + 1)
    outputs = ddp_model(torch.randn(20, 10))
    labels = torch.randn(20, 5)
    loss_fn(outputs, labels).backward()
    if len(sys.argv) > 1 and sys.argv[1] == "fail" and rank == 1:
        raise ValueError("rank 1 fails on purpose")
    optimizer.step()
    w = ddp_model.module.net1.weight.detach().clone()
    gathered = [torch.zeros_like(w) for _ in range(world_size)]
    dist.all_gather(gathered, w)
    if rank == 0:
        print(f"weights equal across ranks: {all(torch.equal(g, w) for g in gathered)}", flush=True)
    cleanup()
    print(f"Finished running basic DDP example on rank {rank}.", flush=True)


def demo_checkpoint(rank, world_size):
    setup(rank, world_size)
    model = ToyModel()
    ddp_model = DDP(model)
    CHECKPOINT_PATH = os.path.join(tempfile.gettempdir(), "kg_ddp_model.checkpoint")
    if rank == 0:
        torch.save(ddp_model.state_dict(), CHECKPOINT_PATH)
    dist.barrier()
    ddp_model.load_state_dict(torch.load(CHECKPOINT_PATH, weights_only=True))
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.001)
    optimizer.zero_grad()
    outputs = ddp_model(torch.randn(20, 10))
    loss_fn(outputs, torch.randn(20, 5)).backward()
    optimizer.step()
    dist.barrier()
    if rank == 0:
        os.remove(CHECKPOINT_PATH)
        print("checkpoint demo done", flush=True)
    cleanup()


def run_demo(demo_fn, world_size):
    mp.spawn(demo_fn, args=(world_size,), nprocs=world_size, join=True)


if __name__ == "__main__":
    world_size = 2
    try:
        run_demo(demo_basic, world_size)
    except Exception as e:  # a failed process: what the caller sees
        print(f"spawn raised {type(e).__name__} for process {e.error_index}", flush=True)
        raise
    run_demo(demo_checkpoint, world_size)
    print("all demos done", flush=True)
