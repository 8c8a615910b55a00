"""Per-sample gradients with ``vmap(grad(...))``: DP-SGD-style training on scikit-learn's digits.

Each step computes one gradient per example (``kitty.func.vmap`` over ``kitty.func.grad`` of a
``functional_call`` of the model), clips each to norm ``--clip``, sums them, adds Gaussian noise of
scale ``--noise * --clip`` and takes an SGD step: the recipe of differentially private SGD.

    python examples/per_sample_gradients.py [--epochs 8] [--smoke]

``--smoke`` trains briefly, asserts that the model learned, and checks the per-sample gradients
against a Python loop of ordinary gradients and against ``torch.func`` on the same weights.
"""

from __future__ import annotations

import argparse
import time
import warnings

import kittygrad as kitty
import kittygrad.nn as nn
import kittygrad.nn.functional as F
from kittygrad.func import functional_call, grad, vmap


def load_digits():
    from sklearn.datasets import load_digits as sk_digits

    data = sk_digits()
    return kitty.tensor(data.data / 16.0, dtype=kitty.float32), kitty.tensor(data.target)


def per_sample_grads(model, params, xb, yb):
    """``{name: (batch, *param.shape)}``: the gradient of each example's loss."""

    def loss_of_one(p, x, y):
        logits = functional_call(model, p, (x.unsqueeze(0),))
        return F.cross_entropy(logits, y.unsqueeze(0))

    return vmap(grad(loss_of_one), in_dims=(None, 0, 0))(params, xb, yb)


def private_step(params, grads, lr: float, clip: float, noise: float, generator) -> dict:
    """Clip each example's gradient to norm ``clip``, sum, add noise, average, step."""
    batch = next(iter(grads.values())).shape[0]
    norms = kitty.stack([g.reshape(batch, -1).norm(dim=1) for g in grads.values()]).norm(dim=0)
    scale = (clip / (norms + 1e-6)).clamp(max=1.0)
    new = {}
    for name, g in grads.items():
        clipped = (g * scale.reshape((batch,) + (1,) * (g.dim() - 1))).sum(0)
        noisy = clipped + noise * clip * kitty.randn(tuple(clipped.shape), generator=generator)
        new[name] = params[name] - lr * noisy / batch
    return new


def accuracy(model, params, x, y) -> float:
    with kitty.no_grad():
        return (functional_call(model, params, (x,)).argmax(1) == y).float().mean().item()


def check_against_loop_and_torch(model, params, xb, yb) -> None:
    got = per_sample_grads(model, params, xb, yb)
    for i in range(xb.shape[0]):
        p = {k: v.detach().requires_grad_() for k, v in params.items()}
        loss = F.cross_entropy(functional_call(model, p, (xb[i : i + 1],)), yb[i : i + 1])
        ref = kitty.autograd.grad(loss, list(p.values()))
        for name, r in zip(p, ref):
            assert kitty.allclose(got[name][i], r, atol=1e-6), f"sample {i}, {name}: vmap(grad) != a plain gradient"
    import torch

    tmodel = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    tparams = {k: torch.tensor(v.detach().numpy()) for k, v in params.items()}

    def t_loss(p, x, y):
        return torch.nn.functional.cross_entropy(
            torch.func.functional_call(tmodel, p, (x.unsqueeze(0),)), y.unsqueeze(0)
        )

    ref = torch.func.vmap(torch.func.grad(t_loss), in_dims=(None, 0, 0))(
        tparams, torch.tensor(xb.numpy()), torch.tensor(yb.numpy())
    )
    for name in params:
        diff = (got[name] - kitty.tensor(ref[name].numpy())).abs().max().item()
        assert diff < 1e-5, f"{name}: differs from torch.func by {diff}"
    print("per-sample gradients match a loop of plain gradients and torch.func")


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--smoke", action="store_true", help="a short run that asserts it learned")
    args = parser.parse_args(argv)
    # every op here has a batching rule: a loop would be a regression, so it is an error
    warnings.filterwarnings("error", message="vmap fell back to a loop")

    kitty.manual_seed(0)
    x, y = load_digits()
    perm = kitty.randperm(len(y))
    x, y = x[perm], y[perm]
    n_test = 360
    x_test, y_test, x_train, y_train = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
    if args.smoke:
        x_train, y_train = x_train[:640], y_train[:640]
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    params = {k: v.detach() for k, v in model.named_parameters()}
    if args.smoke:
        check_against_loop_and_torch(model, params, x_train[:8], y_train[:8])

    generator = kitty.Generator().manual_seed(1)
    before = accuracy(model, params, x_test, y_test)
    start = time.perf_counter()
    epochs = 3 if args.smoke else args.epochs
    for epoch in range(1, epochs + 1):
        for i in range(0, len(y_train), args.batch):
            xb, yb = x_train[i : i + args.batch], y_train[i : i + args.batch]
            grads = per_sample_grads(model, params, xb, yb)
            params = private_step(params, grads, args.lr, args.clip, args.noise, generator)
        print(f"epoch {epoch}: test accuracy {accuracy(model, params, x_test, y_test):.3f}")
    after = accuracy(model, params, x_test, y_test)
    print(f"accuracy {before:.3f} -> {after:.3f} in {time.perf_counter() - start:.1f}s")
    if args.smoke:
        assert after > max(0.6, before + 0.3), f"DP-SGD did not learn: {before:.3f} -> {after:.3f}"
    return after


if __name__ == "__main__":
    main()
