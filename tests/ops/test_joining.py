"""Op-table rows of ``kittygrad/ops/joining.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed, matrix_shapes

ROWS = [
    Row("cat", lambda m, a, b: m.cat([a, b], 1), 2, shapes=fixed((2, 3), (2, 1)), also=("concat", "concatenate")),
    Row("cat_neg_dim", lambda m, a, b, c: m.concat((a, b, c), dim=-1), 3, shapes=fixed((2, 2, 1), (2, 2, 3), (2, 2, 2))),
    Row("cat_promote", lambda m, a, b: m.concatenate([a, b.double(), (b > 0).long()]), 2, shapes=fixed((3,), (2,))),
    Row("cat_empty", lambda m, a, b: m.cat([a, b[:0], m.zeros(0, dtype=a.dtype)]), 2, shapes=fixed((2, 3), (2, 3))),
    Row("cat_int", lambda m, a, b: m.cat([a, b]), 2, inputs="int", shapes=fixed((2, 3), (4, 3))),
    Row("stack", lambda m, a, b: m.stack([a, b]), 2, min_dims=0),
    Row("stack_dim", lambda m, a, b, c: m.stack((a, b, c), dim=-1), 3),
    Row("hstack", lambda m, a, b: m.hstack([a, b]), 2, shapes=fixed((2, 3), (2, 1))),
    Row("hstack_1d", lambda m, a, b: m.hstack([a, b, a[0]]), 2, shapes=fixed((3,), (2,))),
    Row("vstack", lambda m, a, b: m.vstack([a, b]), 2, shapes=fixed((3,), (2, 3)), also=("row_stack",)),
    Row("dstack", lambda m, a, b: m.dstack([a, b]), 2, shapes=fixed((2, 3), (2, 3, 2))),
    Row("column_stack", lambda m, a, b: m.column_stack([a, b]), 2, shapes=fixed((3,), (3, 2))),
    Row("atleast_1d", lambda m, a: m.atleast_1d(a) * 1, max_dims=2),
    Row("atleast_2d", lambda m, a: m.atleast_2d(a) * 1, max_dims=3),
    Row("atleast_3d", lambda m, a: m.atleast_3d(a) * 1, max_dims=4),
    Row("atleast_many", lambda m, a, b: m.atleast_2d(a, b), 2, shapes=fixed((), (3,))),
    Row("split", lambda m, a: m.split(a, 2), min_dims=1, also=("split_method",)),
    Row("split_sizes", lambda m, a: a.split([1, 3, 1], dim=1), shapes=fixed((2, 5))),
    # pieces that get no gradient: the split's one node leaves zeros there
    Row("split_some_pieces", lambda m, a: a.split(2, dim=-1)[::2], shapes=fixed((3, 7))),
    Row("unbind_some_slices", lambda m, a: a.unbind(1)[1:3], shapes=fixed((2, 4, 3))),
    Row("tensor_split", lambda m, a: m.tensor_split(a, 3, dim=-1), min_dims=1),
    Row("tensor_split_idx", lambda m, a: a.tensor_split([1, 4], dim=0), shapes=fixed((5, 2))),
    Row("chunk", lambda m, a: m.chunk(a, 3, 0), min_dims=1, also=("chunk_method",)),
    Row("chunk_uneven", lambda m, a: a.chunk(4, dim=1), shapes=fixed((2, 6))),
    Row("unbind", lambda m, a: m.unbind(a, 1), min_dims=2, also=("unbind_method",)),
    Row("narrow", lambda m, a: m.narrow(a, -1, 1, 2), shapes=fixed((3, 4)), also=("narrow_method",)),
    Row("narrow_neg_start", lambda m, a: a.narrow(0, -2, 2), shapes=fixed((3, 4))),
    Row("select", lambda m, a: m.select(a, 1, -1), min_dims=2, also=("select_method",)),
    Row("movedim", lambda m, a: m.movedim(a, 0, -1), min_dims=1, also=("moveaxis",)),
    Row("movedim_many", lambda m, a: a.moveaxis((0, 1), (2, 0)), shapes=fixed((2, 3, 4))),
    Row("unflatten", lambda m, a: m.unflatten(a, 1, (2, -1)), shapes=fixed((3, 6))),
    Row("unflatten_method", lambda m, a: a.unflatten(-1, (3, 2)), shapes=fixed((6,))),
    Row("ravel", lambda m, a: m.ravel(a.mT), shapes=fixed((2, 3))),
    Row("repeat", lambda m, a: a.repeat(2, 1, 3), shapes=fixed((3, 2)), ints=True),
    Row("repeat_same", lambda m, a: a.repeat(2, 3), min_dims=2, max_dims=2),
    Row("repeat_interleave", lambda m, a: m.repeat_interleave(a, 2), ints=True),
    Row("repeat_interleave_dim", lambda m, a: a.repeat_interleave(m.tensor([1, 0, 3]), dim=1), shapes=fixed((2, 3))),
    Row("repeat_interleave_counts", lambda m, a: m.repeat_interleave(m.tensor([2, 0, 1])) * a.sum(), shapes=fixed((1,)),
        fd=False),
    Row("tile", lambda m, a: m.tile(a, (2,)), min_dims=1),
    Row("tile_more", lambda m, a: a.tile((2, 1, 2)), shapes=fixed((2, 3))),
    Row("flip", lambda m, a: m.flip(a, (0, -1)), min_dims=2, ints=True),
    Row("flip_method", lambda m, a: a.flip(0) + a.flip(dims=[0]) + a.flip(0, 1), min_dims=2),
    Row("fliplr", lambda m, a: m.fliplr(a), min_dims=2),
    Row("flipud", lambda m, a: a.flipud(), min_dims=1),
    Row("roll", lambda m, a: m.roll(a, 1), min_dims=1, ints=True),
    Row("roll_dims", lambda m, a: a.roll((1, -2), (0, 1)), min_dims=2),
    Row("rot90", lambda m, a: m.rot90(a), min_dims=2),
    Row("rot90_k", lambda m, a: a.rot90(3, (1, 0)) + m.rot90(a, 2, (1, 0)).mT, shapes=fixed((3, 3))),
    Row("meshgrid", lambda m, a, b: m.meshgrid(a, b, indexing="ij"), 2, shapes=matrix_shapes("n", "m")),
    Row("meshgrid_xy", lambda m, a, b, c: m.meshgrid([a, b, c], indexing="xy"), 3, shapes=matrix_shapes("n", "m", "k")),
]


def test_pieces_share_one_node_as_in_torch():
    import torch

    import kittygrad as kitty

    for lib in (torch, kitty):
        x = lib.ones(5, 2, requires_grad=True)
        a, b, c = x.split(2)
        u, v = x.unbind(1)
        assert a.grad_fn is b.grad_fn is c.grad_fn and u.grad_fn is v.grad_fn
        assert a._base is x and v._base is x


def test_meshgrid_without_indexing_warns_once_and_takes_ij(monkeypatch):
    # torch's words (read off torch 2.13, which gives them once a process); 'ij' is its default
    import warnings

    import torch

    import kittygrad as kitty

    monkeypatch.setattr(kitty.ops._prep, "WARNED_ONCE", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            grids = kitty.meshgrid(kitty.arange(2), kitty.arange(3))
        kitty.meshgrid(kitty.arange(2), kitty.arange(3), indexing="xy")
    text = "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."
    assert [(w.category, str(w.message), w.filename) for w in caught] == [(UserWarning, text, __file__)]
    expected = torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ij")
    assert [g.tolist() for g in grids] == [g.tolist() for g in expected]
