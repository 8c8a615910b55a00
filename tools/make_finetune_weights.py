"""Write the PyTorch checkpoint that ``python -m kittygrad.examples.finetune_from_torch`` fine-tunes.

    .venv/bin/python tools/make_finetune_weights.py

Needs torch and scikit-learn (run it once, where torch is installed; the example itself does not
need torch). It pretrains a small MLP (64 -> 32 -> 10) in torch, for a few epochs, on the digits
0-4 of scikit-learn's 8x8 digits only, and saves ``{"model": state_dict, "classes": [...],
"mean": float, "std": float}`` with ``torch.save`` (torch's default zip format) to
``kittygrad/examples/data/digits_mlp_torch.pt``, which pyproject.toml ships as package data. The
example then teaches the model all ten digits in kittygrad. Deterministic: rerunning it writes
the same weights.
"""

from __future__ import annotations

from pathlib import Path

import torch
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parents[1] / "kittygrad" / "examples" / "data" / "digits_mlp_torch.pt"


def main() -> None:
    torch.manual_seed(0)
    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32)
    y = torch.tensor(data.target)
    mean, std = x.mean().item(), x.std().item()
    x = (x - mean) / std
    seen = y < 5  # the pretraining never sees digits 5-9
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(30):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[seen]), y[seen])
        loss.backward()
        opt.step()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "classes": list(range(5)), "mean": mean, "std": std}, OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes), pretraining loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
