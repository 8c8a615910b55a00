"""Op-table rows of ``kittygrad/ops/least_squares.py``, and torch's rules for which results each
driver leaves empty.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed, well_conditioned

import kittygrad as kitty


def _rank_deficient(m, a):
    """The last column repeats the first: rank n - 1."""
    return m.cat([a[..., :, :-1], a[..., :, :1]], -1)


ROWS = [
    Row("linalg.lstsq", lambda m, a, b: m.linalg.lstsq(a, b), 2, shapes=fixed((5, 3), (5, 2)), also=("lstsq",)),
    Row("lstsq_gelsd", lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"), 2, shapes=fixed((2, 5, 3), (2, 5, 2))),
    Row("lstsq_gelss_wide", lambda m, a, b: m.linalg.lstsq(a, b, driver="gelss"), 2, shapes=fixed((2, 3, 4), (2, 3, 2))),
    Row("lstsq_gels", lambda m, a, b: m.linalg.lstsq(a, b, driver="gels"), 2, shapes=fixed((4, 2), (4, 3))),
    Row("lstsq_gels_wide", lambda m, a, b: m.linalg.lstsq(a, b, driver="gels"), 2, shapes=fixed((2, 4), (2, 1))),
    Row("lstsq_square", lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"), 2, shapes=fixed((3, 3), (3, 2)),
        domain=well_conditioned),
    Row("lstsq_vector", lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"), 2, shapes=fixed((2, 5, 3), (2, 5))),
    Row("lstsq_broadcast", lambda m, a, b: m.linalg.lstsq(a, b, driver="gelss"), 2, shapes=fixed((2, 4, 3), (1, 4, 2))),
    # rank-deficient A: the minimum-norm solution; the fixed-rank gradient (torch's) is not the
    # derivative across the rank change finite differences would see
    Row("lstsq_rank_deficient", lambda m, a, b: m.linalg.lstsq(_rank_deficient(m, a), b, driver="gelsd"), 2,
        shapes=fixed((5, 3), (5, 2)), fd=False),
    # (with gelsd: torch's gelsy pivots its columns, or not, from run to run when rcond cuts a
    # singular value that is not negligible; kittygrad's never does, as torch's usually does not)
    Row("lstsq_rcond", lambda m, a, b: m.linalg.lstsq(a * m.tensor([1.0, 1.0, 0.05], dtype=a.dtype), b, rcond=0.2,
                                                      driver="gelsd"), 2, shapes=fixed((5, 3), (5, 2)), fd=False,
        # the 0.05 column makes the gradient ~1e2 with condition ~1e3: float32 keeps ~4 digits there
        rtol=1e-2, atol=1e-3),
]


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shapes", [((5, 3), (5, 2)), ((3, 5), (3, 2)), ((2, 5, 3), (2, 5)), ((3, 0), (3, 2)),
                                    ((0, 3), (0, 2))])
@pytest.mark.parametrize("deficient", [False, True])
def test_results_per_driver_as_torch(driver, shapes, deficient):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    if deficient and a.shape[-1] > 1:
        a[..., :, -1] = a[..., :, 0]
    ours = kitty.linalg.lstsq(kitty.tensor(a), kitty.tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    if driver in (None, "gelsy") and deficient:
        # torch's gelsy now and then misjudges an exactly rank-deficient matrix (rank 1 for rank 2,
        # from run to run); its usual answer, the minimum-norm solution, is gelsd's
        svd = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver="gelsd")
        theirs = type(theirs)((svd.solution, theirs.residuals, svd.rank, theirs.singular_values))
    fields = ("solution", "residuals", "rank", "singular_values")
    assert type(ours).__name__ == "linalg_lstsq" and ours._fields == fields
    for name in fields:
        k, t = getattr(ours, name), getattr(theirs, name)
        assert tuple(k.shape) == tuple(t.shape), name
        assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], name
        if not (deficient and driver == "gels"):  # no answer to compare: R is singular
            np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=1e-7, atol=1e-9, err_msg=name)


def test_errors_as_torch():
    cases = [
        lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(5, 2), driver="foo"),
        lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(4, 2)),
        lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(5, 2, dtype=m.float64)),
        lambda m: m.linalg.lstsq(m.ones(3), m.ones(3)),
        lambda m: m.linalg.lstsq(m.ones(5, 3), m.ones(2, 5, 2)),
        lambda m: m.linalg.lstsq(m.ones(2, 5, 3), m.ones(5, 2)),
        lambda m: m.linalg.lstsq(m.ones(5, 3, dtype=m.int64), m.ones(5, 2, dtype=m.int64)),
    ]
    for fn in cases:
        with pytest.raises(RuntimeError) as theirs:
            fn(torch)
        with pytest.raises(RuntimeError) as ours:
            fn(kitty)
        assert str(ours.value) == str(theirs.value)


def test_rank_and_singular_values_carry_no_gradient():
    a = kitty.randn(5, 3, requires_grad=True)
    out = kitty.linalg.lstsq(a, kitty.randn(5, 2), driver="gelsd")
    assert out.solution.requires_grad and out.residuals.requires_grad
    assert not out.rank.requires_grad and not out.singular_values.requires_grad
