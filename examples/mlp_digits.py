"""An MLP on scikit-learn's handwritten digits: nn, AdamW, DataLoader and a cosine LR schedule.

    python examples/mlp_digits.py [--epochs 30] [--smoke]
"""
from __future__ import annotations

import argparse

import kittygrad as kitty
import kittygrad.nn as nn
import kittygrad.nn.functional as F
from kittygrad.utils.data import DataLoader, TensorDataset, random_split


def load_digits_dataset():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = kitty.tensor(digits.data, dtype=kitty.float32) / 16.0
    y = kitty.tensor(digits.target, dtype=kitty.int64)
    return TensorDataset(x, y)


def evaluate(model, loader) -> tuple[float, float]:
    model.eval()
    total = correct = 0
    loss = 0.0
    with kitty.no_grad():
        for xb, yb in loader:
            logits = model(xb)
            loss += F.cross_entropy(logits, yb, reduction="sum").item()
            correct += (logits.argmax(1) == yb).sum().item()
            total += len(yb)
    return loss / total, correct / total


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--smoke", action="store_true", help="a few epochs; asserts that it learned")
    args = parser.parse_args(argv)
    epochs = 4 if args.smoke else args.epochs

    kitty.manual_seed(0)
    train_set, test_set = random_split(load_digits_dataset(), [0.8, 0.2], generator=kitty.Generator().manual_seed(0))
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    print(model)
    optimizer = kitty.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    scheduler = kitty.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    first_loss, _ = evaluate(model, test_loader)
    for epoch in range(1, epochs + 1):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        scheduler.step()
        test_loss, test_acc = evaluate(model, test_loader)
        print(f"epoch {epoch:2d}  lr {scheduler.get_last_lr()[0]:.5f}  test loss {test_loss:.4f}  test accuracy {test_acc:.4f}")
    print(f"final test accuracy: {test_acc:.2%}")
    if args.smoke:
        assert test_loss < 0.5 * first_loss, f"test loss did not halve: {first_loss:.3f} -> {test_loss:.3f}"
        assert test_acc > 0.85, f"test accuracy {test_acc:.3f} too low"
    return test_acc


if __name__ == "__main__":
    main()
