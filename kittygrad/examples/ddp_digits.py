"""A digits CNN trained data-parallel with DistributedDataParallel, on any number of processes.

    python -m kittygrad.distributed.run --nproc-per-node 2 -m kittygrad.examples.ddp_digits [--epochs 6]
    python -m kittygrad.examples.ddp_digits          # the same training in one process

Each process takes its share of every global batch (``DistributedSampler``), DDP averages the
gradients, so N processes train the same model as one process does on the same global batches:
the script prints the test accuracy and a checksum of the weights, which agree between the two
runs (up to float rounding). No dropout and no BatchNorm, so the equality is exact in law.
``--smoke`` trains two epochs and checks that the model learned.
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_digits

import kittygrad as kitty
import kittygrad.distributed as dist
import kittygrad.nn as nn
import kittygrad.nn.functional as F
from kittygrad.nn.parallel import DistributedDataParallel as DDP
from kittygrad.utils.data import DataLoader, DistributedSampler, TensorDataset


def digits() -> tuple[TensorDataset, kitty.Tensor, kitty.Tensor]:
    """(train set, test images, test labels); 1,432 training images, a multiple of 8, so that with
    up to 8 processes none needs padding and every run sees exactly the same samples."""
    data = load_digits()
    images = kitty.tensor(data.images, dtype=kitty.float32)[:, None] / 16.0
    labels = kitty.tensor(data.target, dtype=kitty.int64)
    order = kitty.randperm(len(labels), generator=kitty.Generator().manual_seed(0))
    images, labels = images[order], labels[order]
    n_test = 360
    n_train = (len(labels) - n_test) // 8 * 8
    train = TensorDataset(images[n_test : n_test + n_train], labels[n_test : n_test + n_train])
    return train, images[:n_test], labels[:n_test]


def make_model() -> nn.Module:
    kitty.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
    )


@kitty.no_grad()
def accuracy(model: nn.Module, x: kitty.Tensor, y: kitty.Tensor) -> float:
    model.eval()
    return (model(x).argmax(dim=1) == y).float().mean().item()


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64, help="the global batch (split over the processes)")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--smoke", action="store_true", help="two epochs; asserts that the model learned")
    args = parser.parse_args(argv)
    epochs = 2 if args.smoke else args.epochs

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must split evenly over {world} processes")
    train, x_test, y_test = digits()
    sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(train, batch_size=args.batch_size // world, sampler=sampler)
    model = DDP(make_model())
    optimizer = kitty.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)  # every process shuffles the same way, differently each epoch
        model.train()
        total = kitty.zeros(2)
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += kitty.tensor([loss.item() * len(yb), float(len(yb))])
        dist.all_reduce(total)  # the epoch's mean loss over all processes' samples
        acc = accuracy(model.module, x_test, y_test)
        if rank == 0:
            print(f"epoch {epoch}: train loss {total[0].item() / total[1].item():.4f}  test accuracy {acc:.4f}")
    checksum = sum(p.double().abs().sum().item() for p in model.module.parameters())
    if rank == 0:
        print(f"processes {world}  final test accuracy {acc:.4f}  weight checksum {checksum:.6f}")
    if args.smoke and acc < 0.8:
        raise SystemExit(f"the model did not learn: test accuracy {acc:.3f} < 0.8")
    dist.destroy_process_group()
    return acc


if __name__ == "__main__":
    main()
