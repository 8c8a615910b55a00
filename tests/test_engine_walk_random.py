"""Random sequences of graph building and backward calls under torch's semantics, side by side with
torch: old graphs kept alive or dropped, backward with and without ``retain_graph``, new uses of
tensors whose nodes already ran. Whichever walk each backward takes (see
tests/test_engine_walk_choice.py), the leaves' gradients and the errors must be torch's."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.autograd import set_backward_semantics

UNARY = [
    lambda t: t * 1.5,
    lambda t: t + 0.25,
    lambda t: t.sin(),
    lambda t: t.exp() * 0.1,
    lambda t: t.reshape(-1).reshape(2, 3),
    lambda t: t.t().contiguous().t(),
    lambda t: t[:, 1:].sum(1, keepdim=True) + t,
    lambda t: t.tanh(),
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - 2.0 * b,
]


@pytest.fixture(autouse=True)
def torch_semantics():
    set_backward_semantics("torch")
    yield
    set_backward_semantics("seed")


def _leaves(lib, values):
    return [lib.tensor(v, requires_grad=True) for v in values]


@pytest.mark.parametrize("seed", range(150))
def test_random_graphs_and_backwards_match_torch(seed):
    rng = random.Random(seed)
    values = [np.random.default_rng(seed + k).uniform(-1, 1, (2, 3)) for k in range(3)]
    leaves = {"torch": _leaves(torch, values), "kitty": _leaves(kitty, values)}
    pool = {name: list(ls) for name, ls in leaves.items()}
    log = []  # what was done, for a failure's message
    for _ in range(60):
        action = rng.random()
        if action < 0.55 or len(pool["torch"]) < 4:
            if rng.random() < 0.6:
                f, i = rng.choice(UNARY), rng.randrange(len(pool["torch"]))
                log.append(f"p{len(pool['torch'])} = unary{UNARY.index(f)}(p{i})")
                for name in pool:
                    pool[name].append(f(pool[name][i]))
            else:
                f = rng.choice(BINARY)
                i, j = rng.randrange(len(pool["torch"])), rng.randrange(len(pool["torch"]))
                log.append(f"p{len(pool['torch'])} = binary{BINARY.index(f)}(p{i}, p{j})")
                for name in pool:
                    pool[name].append(f(pool[name][i], pool[name][j]))
        elif action < 0.85:
            i = rng.randrange(3, len(pool["torch"]))  # a result of ops, not a leaf
            retain = rng.random() < 0.4
            log.append(f"(p{i} * p{i}).sum().backward(retain_graph={retain})")
            outcomes = {}
            for name, lib_pool in pool.items():
                try:
                    (lib_pool[i] * lib_pool[i]).sum().backward(retain_graph=retain)
                    outcomes[name] = None
                except RuntimeError as e:
                    outcomes[name] = "second time" if "second time" in str(e) else str(e)
            assert outcomes["kitty"] == outcomes["torch"], f"{outcomes} after: {'; '.join(log)}"
            if outcomes["torch"] is not None:
                # what a failed backward ran before it stopped (and freed) follows each engine's
                # order, which torch leaves unspecified: the sequence ends here
                break
            for t_leaf, k_leaf in zip(leaves["torch"], leaves["kitty"]):
                if t_leaf.grad is None:
                    assert k_leaf.grad is None
                else:
                    np.testing.assert_allclose(k_leaf.grad.numpy(), t_leaf.grad.numpy(), rtol=1e-6, atol=1e-9)
        else:
            i = rng.randrange(3, len(pool["torch"]))  # drop a tensor (its graph may die with it)
            log.append(f"del p{i}")
            for name in pool:
                del pool[name][i]
