"""CTC loss over whole batches against torch: the lattice runs every sample at once, so samples of
different input lengths, target lengths, blanks and repeated labels must each keep their own
forward and backward variables (a sample's backward variables start at its own last step)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty


def _case(seed: int):
    rng = np.random.default_rng(seed)
    steps, batch, classes = int(rng.integers(1, 25)), int(rng.integers(1, 7)), int(rng.integers(2, 8))
    blank = int(rng.integers(0, classes))
    longest = int(rng.integers(0, 10))
    labels = [c for c in range(classes) if c != blank]
    if seed % 4 == 0:
        labels = labels[:1]  # one label repeated: every step between two of them needs a blank
    targets = rng.choice(labels, (batch, max(longest, 1)))
    target_lengths = [int(rng.integers(0, longest + 1)) for _ in range(batch)]
    input_lengths = [int(rng.integers(0, steps + 1)) for _ in range(batch)]
    x = rng.standard_normal((steps, batch, classes)) * (1 + seed % 5)
    if seed % 7 == 0:
        x[0, 0, blank] = -np.inf  # a path closed from the start
    return x, targets, input_lengths, target_lengths, blank


@pytest.mark.parametrize("seed", range(40))
def test_ctc_loss_of_a_batch_matches_torch(seed):
    x, targets, input_lengths, target_lengths, blank = _case(seed)
    zero_infinity = bool(seed % 2)
    reduction = ["mean", "sum", "none"][seed % 3]
    dtype = ["float32", "float64"][seed // 2 % 2]
    results = []
    for lib in (torch, kitty):
        xt = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
        loss = lib.nn.functional.ctc_loss(xt.log_softmax(-1), lib.tensor(targets), lib.tensor(input_lengths),
                                          lib.tensor(target_lengths), blank=blank, reduction=reduction,
                                          zero_infinity=zero_infinity)
        (loss.sum() if reduction == "none" else loss).backward()
        results.append((loss.detach().numpy(), xt.grad.numpy()))
    (t_loss, t_grad), (k_loss, k_grad) = results
    tol = {"rtol": 2e-5, "atol": 2e-5} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-10}
    np.testing.assert_allclose(k_loss, t_loss, **tol)
    finite = np.isfinite(t_grad)  # (torch's gradient of an infeasible sample without zero_infinity is nan)
    assert np.array_equal(finite, np.isfinite(k_grad))
    np.testing.assert_allclose(k_grad[finite], t_grad[finite], **tol)


def test_samples_of_a_batch_do_not_see_each_other():
    """Each sample's loss and gradient are those it has alone (the same values, to the bit)."""
    x, targets, _, _, blank = _case(5)
    steps, batch = x.shape[:2]
    input_lengths = [steps - n % steps for n in range(batch)]
    target_lengths = [min(len(targets[0]), 1 + n) for n in range(batch)]

    def run(rows):
        xt = kitty.tensor(x[:, rows], requires_grad=True)
        loss = kitty.nn.functional.ctc_loss(xt.log_softmax(-1), kitty.tensor(targets[rows]),
                                            [input_lengths[n] for n in rows], [target_lengths[n] for n in rows],
                                            blank=blank, reduction="none")
        loss.sum().backward()
        return loss.detach().numpy(), xt.grad.numpy()

    whole_loss, whole_grad = run(list(range(batch)))
    for n in range(batch):
        loss, grad = run([n])
        assert np.array_equal(loss, whole_loss[n : n + 1])
        assert np.array_equal(grad, whole_grad[:, n : n + 1])
