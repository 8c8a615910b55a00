"""DDP classifier, the tutorial's way: torchrun's env vars, DistributedSampler with set_epoch,
metrics summed with all_reduce, rank 0 saves a checkpoint that every rank loads with map_location.

tolerance: rtol=1e-4 atol=1e-6
"""
import os
import tempfile

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 32)
        self.fc2 = nn.Linear(32, 16)
        self.out = nn.Linear(16, 3)
        self.drop = nn.Dropout(0.0)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = self.drop(F.relu(self.fc2(x)))
        return self.out(x)


def make_data(n=300):
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(n, 12, generator=g)
    w = torch.randn(12, 3, generator=g)
    y = (x @ w).argmax(dim=1)
    return TensorDataset(x, y)


def evaluate(model, loader):
    model.eval()
    stats = torch.zeros(3)
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            stats[0] += F.cross_entropy(logits, y, reduction="sum")
            stats[1] += (logits.argmax(1) == y).sum()
            stats[2] += len(y)
    dist.all_reduce(stats, op=dist.ReduceOp.SUM)
    model.train()
    return stats[0].item() / stats[2].item(), stats[1].item() / stats[2].item()


def main():
    dist.init_process_group("gloo")
    local_rank = int(os.environ["LOCAL_RANK"])
    rank = dist.get_rank()
    world_size = dist.get_world_size()
    if rank == 0:
        print(f"world_size={world_size} backend={dist.get_backend()} initialized={dist.is_initialized()}")
    torch.manual_seed(42 + rank)  # different init per rank: DDP must broadcast rank 0's weights
    model = Net()
    ddp_model = DDP(model, device_ids=None)
    torch.manual_seed(7)

    train_set = make_data()
    sampler = DistributedSampler(train_set, num_replicas=world_size, rank=rank, shuffle=True, seed=3)
    loader = DataLoader(train_set, batch_size=25, sampler=sampler)
    eval_sampler = DistributedSampler(train_set, shuffle=False)
    eval_loader = DataLoader(train_set, batch_size=50, sampler=eval_sampler)
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=0.2, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    if rank == 0:
        print(f"samples per rank {len(sampler)} batches per rank {len(loader)}")

    for epoch in range(4):
        sampler.set_epoch(epoch)
        running = torch.zeros(2)
        for step, (x, y) in enumerate(loader):
            optimizer.zero_grad()
            loss = F.cross_entropy(ddp_model(x), y)
            loss.backward()
            optimizer.step()
            running += torch.tensor([loss.item() * len(y), float(len(y))])
        scheduler.step()
        dist.all_reduce(running)
        val_loss, val_acc = evaluate(ddp_model, eval_loader)
        if rank == 0:
            print(f"epoch {epoch} lr {scheduler.get_last_lr()[0]:.4f} train_loss {running[0].item() / running[1].item():.5f} "
                  f"val_loss {val_loss:.5f} val_acc {val_acc:.4f}")

    # the weights must agree on every rank
    norm = torch.stack([p.detach().norm() for p in ddp_model.parameters()]).sum()
    norms = [torch.zeros(1) for _ in range(world_size)]
    dist.all_gather(norms, norm.reshape(1))
    if rank == 0:
        print(f"param norm {norm.item():.5f} same on all ranks {all(torch.equal(n, norms[0]) for n in norms)}")

    ckpt_dir = tempfile.gettempdir()
    path = os.path.join(ckpt_dir, f"ddp_classifier_{os.environ.get('TORCHELASTIC_RUN_ID', 'x')}_{os.getppid()}.pt")
    paths = [path]
    dist.broadcast_object_list(paths, src=0)  # every rank uses rank 0's file name
    path = paths[0]
    if rank == 0:
        torch.save({"epoch": 4, "model": ddp_model.module.state_dict(), "optimizer": optimizer.state_dict()}, path)
    dist.barrier()
    map_location = {"cuda:%d" % 0: "cuda:%d" % local_rank} if torch.cuda.is_available() else "cpu"
    ckpt = torch.load(path, map_location=map_location)
    fresh = Net()
    fresh.load_state_dict(ckpt["model"])
    fresh_opt = torch.optim.SGD(fresh.parameters(), lr=0.2, momentum=0.9)
    fresh_opt.load_state_dict(ckpt["optimizer"])
    same = all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), model.state_dict().values()))
    flags = torch.tensor([float(same)])
    dist.all_reduce(flags, op=dist.ReduceOp.MIN)
    if rank == 0:
        print(f"checkpoint epoch {ckpt['epoch']} keys {sorted(ckpt['model'])}")
        print(f"loaded equal on every rank {bool(flags.item())} momentum buffers {len(fresh_opt.state_dict()['state'])}")
        print(f"param_groups lr {fresh_opt.param_groups[0]['lr']:.4f}")
    dist.barrier()
    if rank == 0:
        os.remove(path)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
