"""Op-table rows of ``kittygrad/ops/decompositions.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _quiet, _spd, _svd_old, _svd_use, fixed, matrix_shapes, well_conditioned

ROWS = [
    Row("linalg.lu_factor", lambda m, a: m.linalg.lu_factor(a), shapes=matrix_shapes("bnm"), also=("lu_factor",)),
    Row("linalg.lu_factor_ex", lambda m, a: m.linalg.lu_factor_ex(a), shapes=matrix_shapes("bnn"),
        also=("lu_factor_ex",)),
    Row("linalg.lu", lambda m, a: m.linalg.lu(a), shapes=matrix_shapes("bnm"), also=("lu",)),
    Row("lu_unpack", lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)), shapes=matrix_shapes("bnm")),
    Row("torch_lu", lambda m, a: _quiet(m.lu, a) + _quiet(m.lu, a, True, True)[:1], shapes=matrix_shapes("bnn")),
    Row("linalg.lu_solve", lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b), 2,
        shapes=matrix_shapes("bnn", "bnk"), domain=well_conditioned, also=("lu_solve",)),
    Row("lu_solve_packed", lambda m, lu, b: m.linalg.lu_solve(lu, m.linalg.lu_factor(lu.detach())[1], b, adjoint=True)
        + m.linalg.lu_solve(lu, m.linalg.lu_factor(lu.detach())[1], b.mT, left=False).mT, 2,
        shapes=matrix_shapes("nn", "bnn"), domain=well_conditioned),
    Row("torch_lu_solve", lambda m, a, b: _quiet(m.lu_solve, b, *m.linalg.lu_factor(a)), 2,
        shapes=matrix_shapes("nn", "nk"), domain=well_conditioned),
    Row("linalg.solve_triangular", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True)
        + m.linalg.solve_triangular(a, b, upper=False, unitriangular=True), 2, shapes=matrix_shapes("bnn", "nk"),
        domain=well_conditioned, also=("solve_triangular",)),
    Row("solve_triangular_right", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False), 2,
        shapes=matrix_shapes("nn", "bkn"), domain=well_conditioned),
    Row("linalg.cholesky", lambda m, a: m.linalg.cholesky(_spd(m, a)), shapes=matrix_shapes("bnn"),
        also=("cholesky",)),
    Row("cholesky_upper", lambda m, a: m.linalg.cholesky(_spd(m, a), upper=True), shapes=matrix_shapes("nn")),
    Row("torch_cholesky", lambda m, a: _quiet(m.cholesky, _spd(m, a)) + _quiet(_spd(m, a).cholesky, True).mT,
        shapes=matrix_shapes("nn"), also=("cholesky_method",)),
    Row("torch_qr", lambda m, a: _quiet(m.qr, a) + _quiet(a.qr, False), shapes=fixed((3, 3)), also=("qr_method",)),
    Row("linalg.qr", lambda m, a: m.linalg.qr(a), shapes=fixed((4, 3)), also=("qr",)),
    Row("qr_square_batch", lambda m, a: m.linalg.qr(a), shapes=fixed((2, 3, 3))),
    Row("qr_wide", lambda m, a: m.linalg.qr(a), shapes=fixed((2, 4))),
    Row("qr_complete", lambda m, a: m.linalg.qr(a, mode="complete"), shapes=fixed((2, 3))),
    Row("qr_r", lambda m, a: m.linalg.qr(a.detach(), mode="r"), shapes=fixed((4, 3))),
    Row("linalg.svd", lambda m, a: _svd_use(m, m.linalg.svd(a, full_matrices=False)), shapes=fixed((4, 3)),
        also=("svd_linalg",)),
    Row("svd_wide", lambda m, a: _svd_use(m, m.linalg.svd(a, full_matrices=False)), shapes=fixed((2, 3, 5))),
    Row("svd_full", lambda m, a: _svd_use(m, m.linalg.svd(a)[:2] + (m.linalg.svd(a)[2][:3],), full=True),
        shapes=fixed((5, 3))),
    Row("svd", lambda m, a: _svd_old(m, m.svd(a)), shapes=fixed((4, 3)), also=("svd_method", "torch_svd")),
    Row("svd_method", lambda m, a: _svd_old(m, a.svd()), shapes=fixed((3, 3))),
    Row("linalg.svdvals", lambda m, a: m.linalg.svdvals(a), shapes=matrix_shapes("bnm"), also=("svdvals",)),
]
