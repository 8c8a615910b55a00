"""A custom DDP communication hook (average first, then all-reduce asynchronously and hand the
future on with ``then``), torch's stock ``allreduce_hook``, and training on uneven inputs with
``model.join()``: rank 0 has more batches than rank 1, and the joined rank shadows the others'
all-reduces until everyone is done.

tolerance: rtol=1e-4 atol=1e-6
"""
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
from torch.nn.parallel import DistributedDataParallel as DDP


def averaging_hook(state, bucket):
    """Divide by the world size before the sum, as torch's allreduce hook does."""
    state["calls"] += 1
    state["numel"] += bucket.buffer().numel()
    state["last_seen"] += int(bucket.is_last())
    tensor = bucket.buffer()
    tensor.div_(dist.get_world_size())
    work = dist.all_reduce(tensor, async_op=True)
    return work.get_future().then(lambda fut: fut.value()[0])


def make_model():
    torch.manual_seed(3)
    return nn.Sequential(nn.Linear(5, 20), nn.ReLU(), nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 1))


def batches(rank, count):
    g = torch.Generator().manual_seed(77 + rank)
    out = []
    for _ in range(count):
        x = torch.randn(12, 5, generator=g)
        out.append((x, x.sum(1, keepdim=True).sin()))
    return out


def flat_params(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def same_everywhere(t):
    everyone = [torch.zeros_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(everyone, t)
    return all(torch.equal(e, everyone[0]) for e in everyone)


def main():
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    world = dist.get_world_size()

    # 1. a custom hook against DDP's own all-reduce: the same training
    results = {}
    for name in ("builtin", "custom", "stock"):
        model = DDP(make_model())
        state = {"calls": 0, "numel": 0, "last_seen": 0}
        if name == "custom":
            model.register_comm_hook(state, averaging_hook)
        elif name == "stock":
            model.register_comm_hook(dist.group.WORLD, default_hooks.allreduce_hook)
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        for x, y in batches(rank, 5):
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt.step()
        results[name] = flat_params(model)
        if rank == 0:
            print(f"{name}: param sum {results[name].sum().item():.6f} same on all ranks "
                  f"{same_everywhere(results[name])} hook calls {state['calls']} numel {state['numel']} "
                  f"last buckets {state['last_seen']}")
        else:
            same_everywhere(results[name])
    if rank == 0:
        print(f"custom == builtin {torch.allclose(results['custom'], results['builtin'], atol=1e-6)}, "
              f"stock == builtin {torch.allclose(results['stock'], results['builtin'], atol=1e-6)}")

    # 2. uneven inputs: rank 0 has 6 batches, rank 1 has 4
    for divide in (True, False):
        model = DDP(make_model())
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        mine = batches(rank, 6 if rank == 0 else 4)
        losses = []
        with model.join(divide_by_initial_world_size=divide):
            for x, y in mine:
                opt.zero_grad()
                loss = F.mse_loss(model(x), y)
                loss.backward()
                opt.step()
                losses.append(loss.item())
        steps = torch.tensor([float(len(losses))])
        dist.all_reduce(steps)
        params = flat_params(model)
        agree = same_everywhere(params)
        if rank == 0:
            print(f"join(divide_by_initial_world_size={divide}): steps {int(steps.item())} "
                  f"losses {[round(v, 5) for v in losses]} param sum {params.sum().item():.6f} agree {agree}")

    # 3. throw_on_early_termination: every rank raises once one runs out
    model = DDP(make_model())
    mine = batches(rank, 3 if rank == 0 else 2)
    seen = 0
    try:
        with model.join(throw_on_early_termination=True):
            for x, y in mine:
                F.mse_loss(model(x), y).backward()
                seen += 1
        outcome = "finished"
    except RuntimeError as exc:
        outcome = f"raised after {seen} batches: {exc}"
    flags = [None] * world
    dist.all_gather_object(flags, outcome)
    if rank == 0:
        for r, o in enumerate(flags):
            print(f"rank {r}: {o}")
    dist.barrier()
    if rank == 0:
        print(f"done (local rank {local_rank})")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
