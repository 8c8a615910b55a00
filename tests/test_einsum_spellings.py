"""einsum against torch beyond the plain equation string: numpy's sublist spelling
(``einsum(a, [0, 1], b, [1, 2], [0, 2])``) and torch's words for sizes that do not broadcast."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty

RNG = np.random.default_rng(0)


def _both(*shapes):
    arrays = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    return [kitty.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


@pytest.mark.parametrize("shapes, sublists", [
    ([(2, 3, 4), (2, 4, 5)], ([0, 1, 2], [0, 2, 3], [0, 1, 3])),  # batched matmul, output given
    ([(2, 3), (3,)], ([0, 1], [1])),  # output implied: the letters seen once, sorted
    ([(2, 3, 4)], ([Ellipsis, 1, 2], [Ellipsis, 2, 1])),  # ellipsis
    ([(3, 3)], ([30, 30], [])),  # trace, a lower-case letter
    ([(2, 3), (3, 4)], ((0, 1), (1, 2), (2, 0))),  # tuples as sublists
])
def test_sublist_spelling_matches_torch(shapes, sublists):
    ours, theirs = _both(*shapes)
    ours_args, theirs_args = [], []
    for k, t, sub in zip(ours, theirs, sublists):
        ours_args += [k, sub]
        theirs_args += [t, sub]
    if len(sublists) > len(shapes):
        ours_args.append(sublists[-1])
        theirs_args.append(sublists[-1])
    out, ref = kitty.einsum(*ours_args), torch.einsum(*theirs_args)
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bad", [52, -1])
def test_sublist_subscript_out_of_range_raises_like_torch(bad):
    with pytest.raises(ValueError) as ref:
        torch.einsum(torch.ones(2), [bad])
    with pytest.raises(ValueError) as err:
        kitty.einsum(kitty.ones(2), [bad])
    assert str(err.value) == str(ref.value)


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (4, 2)]),
    ("ij,ij,ij->i", [(1, 3), (3, 1), (2, 3)]),
    ("ii->i", [(2, 3)]),
    ("ii->i", [(1, 3)]),
    ("ii,i->i", [(2, 2), (3,)]),
    ("...i,...i->...", [(2, 3), (4, 3)]),
    ("...i,...i->...", [(1, 5, 3), (7, 4, 3)]),
])
def test_sizes_that_do_not_broadcast_raise_torchs_words(equation, shapes):
    ours, theirs = _both(*shapes)
    with pytest.raises(RuntimeError) as ref:
        torch.einsum(equation, *theirs)
    with pytest.raises(RuntimeError) as err:
        kitty.einsum(equation, *ours)
    assert str(err.value) == str(ref.value)
