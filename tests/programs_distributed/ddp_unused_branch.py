"""``find_unused_parameters=True``: a model whose forward takes one of two heads, chosen per rank
and per step, so some parameters get no gradient on some ranks (and a frozen-at-times branch gets
none on any). What DDP averages, which ``.grad`` stay None, and the error torch gives without the flag.

tolerance: rtol=1e-4 atol=1e-6
"""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(8, 16), nn.ReLU())
        self.head_a = nn.Linear(16, 4)
        self.head_b = nn.Linear(16, 4)
        self.never = nn.Linear(16, 4)  # only used when asked: unused everywhere in training

    def forward(self, x, use_b=False, use_never=False):
        h = self.trunk(x)
        if use_never:
            return self.never(h)
        return self.head_b(h) if use_b else self.head_a(h)


def data(step, rank):
    g = torch.Generator().manual_seed(1000 * step + rank)
    x = torch.randn(16, 8, generator=g)
    y = torch.randint(0, 4, (16,), generator=g)
    return x, y


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.manual_seed(5)
    net = TwoHeads()
    model = DDP(net, find_unused_parameters=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    for step in range(12):
        x, y = data(step, rank)
        use_b = (step + rank) % 3 == 0  # differs between the ranks on some steps
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x, use_b=use_b), y)
        loss.backward()
        flags = torch.tensor([float(net.head_a.weight.grad is None), float(net.head_b.weight.grad is None),
                              float(net.never.weight.grad is None)])
        grads = torch.stack([net.head_a.weight.grad.norm() if net.head_a.weight.grad is not None else torch.tensor(-1.0),
                             net.head_b.weight.grad.norm() if net.head_b.weight.grad is not None else torch.tensor(-1.0),
                             net.trunk[0].weight.grad.norm()])
        all_flags = [torch.zeros(3) for _ in range(world)]
        dist.all_gather(all_flags, flags)
        all_grads = [torch.zeros(3) for _ in range(world)]
        dist.all_gather(all_grads, grads)
        opt.step()
        losses = torch.tensor([loss.item()])
        dist.all_reduce(losses)
        if rank == 0:
            none = [[int(v) for v in f.tolist()] for f in all_flags]
            print(f"step {step:2d} use_b@rank0={use_b} loss {losses.item() / world:.5f} grad None [a,b,never] per rank {none} "
                  f"grad norms rank0 {[round(v, 5) for v in all_grads[0].tolist()]} "
                  f"rank1 {[round(v, 5) for v in all_grads[1].tolist()]}")

    weights = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    everyone = [torch.zeros_like(weights) for _ in range(world)]
    dist.all_gather(everyone, weights)
    if rank == 0:
        print(f"weights equal across ranks {all(torch.equal(w, everyone[0]) for w in everyone)} "
              f"sum {weights.sum().item():.5f}")

    # without find_unused_parameters, skipping a head is an error at the next forward
    torch.manual_seed(5)
    strict = DDP(TwoHeads())
    x, y = data(99, rank)
    F.cross_entropy(strict(x), y).backward()
    try:
        strict(x)
        outcome = "no error"
    except RuntimeError as exc:
        outcome = f"RuntimeError {isinstance(exc, RuntimeError)}: {str(exc).split('.')[0]}"
    if rank == 0:
        print(outcome)
    dist.barrier()
    if rank == 0:
        print(f"done on local rank {local_rank}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
