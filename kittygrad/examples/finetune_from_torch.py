"""Fine-tune, in kittygrad, a model whose weights PyTorch saved, and hand the result back to PyTorch.

The package ships ``data/digits_mlp_torch.pt``: a small MLP (64 -> 32 -> 10) that PyTorch
pretrained on the digits 0-4 of scikit-learn's 8x8 digits and saved with ``torch.save``
(``tools/make_finetune_weights.py`` wrote it). This script loads it with ``kitty.load`` (a
restricted unpickler: no torch needed, no code from the file run), measures its accuracy on all
ten digits, fine-tunes it on all ten, and saves the model twice: ``finetuned.pt`` (``format="torch"``,
which ``torch.load(path, weights_only=True)`` opens) and ``finetuned.safetensors``.

    python -m kittygrad.examples.finetune_from_torch [--epochs 20] [--out out] [--smoke]
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

import kittygrad as kitty
import kittygrad.nn as nn
import kittygrad.nn.functional as F


def build_model() -> nn.Module:
    """The architecture the PyTorch checkpoint was saved from (same layer names: 0 and 2)."""
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def load_digits_split(mean: float, std: float, seed: int = 0):
    """scikit-learn's digits, normalised as in pretraining, split 80/20 at random."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise SystemExit("this example needs scikit-learn: pip install scikit-learn") from e
    data = load_digits()
    x = (kitty.tensor(data.data, dtype=kitty.float32) - mean) / std
    y = kitty.tensor(data.target, dtype=kitty.int64)
    order = kitty.randperm(len(y), generator=kitty.Generator().manual_seed(seed))
    x, y = x[order], y[order]
    n_test = len(y) // 5
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def accuracy(model: nn.Module, x, y) -> float:
    with kitty.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="out", help="folder for finetuned.pt and finetuned.safetensors")
    parser.add_argument("--smoke", action="store_true", help="a short run for CI (still checks that it learned)")
    args = parser.parse_args(argv)
    epochs = 4 if args.smoke else args.epochs

    with resources.as_file(resources.files("kittygrad.examples") / "data" / "digits_mlp_torch.pt") as path:
        checkpoint = kitty.load(path)  # a torch.save file, read without torch
    model = build_model()
    model.load_state_dict(checkpoint["model"])
    x_train, y_train, x_test, y_test = load_digits_split(checkpoint["mean"], checkpoint["std"])
    before = accuracy(model, x_test, y_test)
    print(f"PyTorch's model (pretrained on digits {checkpoint['classes']}): test accuracy {before:.3f}")

    opt = kitty.optim.Adam(model.parameters(), lr=3e-3)
    batches = list(zip(x_train.split(64), y_train.split(64)))
    for epoch in range(epochs):
        for xb, yb in batches:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}")
    after = accuracy(model, x_test, y_test)
    print(f"fine-tuned in kittygrad on all ten digits: test accuracy {after:.3f}")
    if after < before + 0.2:
        raise SystemExit(f"fine-tuning did not help enough ({before:.3f} -> {after:.3f})")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kitty.save(
        {"model": model.state_dict(), "optimizer": opt.state_dict(), "epochs": epochs},
        out / "finetuned.pt",
        format="torch",
    )
    kitty.save(model.state_dict(), out / "finetuned.safetensors", metadata={"source": "kittygrad finetune_from_torch"})
    reloaded = build_model()
    reloaded.load_state_dict(kitty.load(out / "finetuned.pt")["model"])
    assert accuracy(reloaded, x_test, y_test) == after
    print(
        f"saved {out / 'finetuned.pt'} (torch.load(path, weights_only=True) opens it) and {out / 'finetuned.safetensors'}"
    )


if __name__ == "__main__":
    main()
