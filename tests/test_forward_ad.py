"""Forward-mode AD (``kittygrad.autograd.forward_ad``): every op-table row's Jacobian-vector product,
checked in float64 against the transpose of kittygrad's reverse mode (``<J t, v> == <t, J^T v>``,
every row), against central finite differences (rows with ``fd``), and against torch's forward AD
wherever torch's is consistent with torch's own reverse mode. No row is skipped for lack of a
rule: an op without one fails here, naming itself; an op whose derivative is refused in reverse
mode must refuse forward mode too.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwd

import kittygrad as kitty
import kittygrad.autograd.forward_ad as fwAD

from op_table import ROWS
from _row_checks import draw_arrays, grad_flags
from test_double_backward import fixed_shapes

FW_ROWS = [r for r in ROWS if not r.random and r.inputs == "float" and any(grad_flags(r))]


def _outputs(out):
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, (kitty.Tensor, torch.Tensor)) and o.is_floating_point()]


def _setup(row):
    arrays = draw_arrays(row, fixed_shapes(row), 5)
    flags = grad_flags(row)
    rng = np.random.default_rng(11)
    tangents = [rng.standard_normal(a.shape) if f else None for a, f in zip(arrays, flags)]
    return arrays, tangents


def forward_jvp(lib, ad, row, arrays, tangents):
    """[(primal, tangent or None)] per float output, by ``lib``'s forward AD module ``ad``."""
    with ad.dual_level():
        ins = []
        for a, t in zip(arrays, tangents):
            x = lib.tensor(a, dtype=lib.float64)
            ins.append(ad.make_dual(x, lib.tensor(t, dtype=lib.float64)) if t is not None else x)
        result = []
        for o in _outputs(row.fn(lib, *ins)):
            primal, tangent = ad.unpack_dual(o)
            result.append(
                (primal.detach().numpy().copy(), None if tangent is None else tangent.detach().numpy().copy())
            )
    return result


def reverse_dot(lib, row, arrays, tangents, vs):
    """``<t, J^T v>`` by ``lib``'s reverse mode, and which outputs are differentiable."""
    ins = [lib.tensor(a, dtype=lib.float64, requires_grad=t is not None) for a, t in zip(arrays, tangents)]
    outs = _outputs(row.fn(lib, *ins))
    live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if not live:
        return 0.0, [False] * len(outs)
    wrt = [x for x in ins if x.requires_grad]
    back = lib.autograd.grad(
        [o for o, _ in live], wrt, [lib.tensor(v, dtype=lib.float64) for _, v in live], allow_unused=True
    )
    tans = [t for t in tangents if t is not None]
    return sum(float((b.detach().numpy() * t).sum()) for b, t in zip(back, tans) if b is not None), [
        o.requires_grad for o in outs
    ]


def _values(row, arrays):
    outs = _outputs(row.fn(kitty, *[kitty.tensor(a, dtype=kitty.float64) for a in arrays]))
    return [o.detach().numpy().astype(np.float64) for o in outs]


@pytest.mark.parametrize("row", FW_ROWS, ids=[r.name for r in FW_ROWS])
def test_forward_ad_row(row):
    arrays, tangents = _setup(row)
    plain = _values(row, arrays)
    vs = [np.random.default_rng(3).standard_normal(p.shape) for p in plain]
    try:
        rhs, differentiable = reverse_dot(kitty, row, arrays, tangents, vs)
    except (RuntimeError, NotImplementedError) as refused:  # reverse mode refuses: so must forward mode
        with pytest.raises(type(refused)):
            forward_jvp(kitty, fwAD, row, arrays, tangents)
        return
    try:
        got = forward_jvp(kitty, fwAD, row, arrays, tangents)
    except (RuntimeError, NotImplementedError):  # refused (e.g. no derivative at all): torch refuses too
        with pytest.raises((RuntimeError, NotImplementedError)):
            forward_jvp(torch, tfwd, row, arrays, tangents)
        return
    assert len(got) == len(plain)
    for (primal, _), ref in zip(got, plain):
        np.testing.assert_allclose(primal, ref, rtol=1e-12, atol=1e-12, err_msg=f"{row.name}: primal changed")
    jvps = []
    for (p, t), diff in zip(got, differentiable):
        if not diff:  # not differentiable in reverse mode: no tangent either
            assert t is None or not np.any(t), f"{row.name}: a tangent on a non-differentiable output"
            t = None
        jvps.append(t if t is not None else np.zeros_like(p))

    # 1. the transpose of reverse mode
    lhs = sum(float((j * v).sum()) for j, v, d in zip(jvps, vs, differentiable) if d)
    if np.isfinite(rhs):
        assert lhs == pytest.approx(rhs, rel=1e-6, abs=1e-8), f"{row.name}: <Jt, v> != <t, J^T v>"

    # 2. central finite differences along the tangent, on the differentiable outputs
    if row.fd:
        eps = 1e-6
        plus = _values(row, [a + eps * t if t is not None else a for a, t in zip(arrays, tangents)])
        minus = _values(row, [a - eps * t if t is not None else a for a, t in zip(arrays, tangents)])
        for j, p, m, d in zip(jvps, plus, minus, differentiable):
            if d:
                np.testing.assert_allclose(
                    j, (p - m) / (2 * eps), rtol=1e-4, atol=1e-5, err_msg=f"{row.name}: vs finite differences"
                )

    # 3. torch's forward AD, where torch has one that agrees with torch's own reverse mode
    try:
        ref = forward_jvp(torch, tfwd, row, arrays, tangents)
        t_rhs, t_diff = reverse_dot(torch, row, arrays, tangents, vs)
    except (NotImplementedError, RuntimeError):
        return  # torch has no forward AD (or no derivative) for it: the checks above stand
    t_jvps = [t if t is not None else np.zeros_like(p) for p, t in ref]
    t_lhs = sum(float((j * v).sum()) for j, v, d in zip(t_jvps, vs, t_diff) if d)
    if not (np.isfinite(t_lhs) and t_lhs == pytest.approx(t_rhs, rel=1e-6, abs=1e-8)):
        return  # torch's forward AD disagrees with its own backward here: not a reference
    for j, r, d in zip(jvps, t_jvps, differentiable):
        if d:
            np.testing.assert_allclose(j, r, rtol=1e-6, atol=1e-8, err_msg=f"{row.name}: vs torch's forward AD")


# ---- the API: levels, make_dual / unpack_dual, errors, interplay with reverse mode ---------------


def test_api_errors_match_torch():
    for lib, ad in ((kitty, fwAD), (torch, tfwd)):
        x = lib.ones(3)
        with pytest.raises(RuntimeError, match="no level exists"):
            ad.make_dual(x, lib.ones(3))
        with ad.dual_level():
            with pytest.raises(RuntimeError, match="different size than that of the original Tensor"):
                ad.make_dual(x, lib.ones(2))
            with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
                with ad.dual_level():
                    pass
        assert ad.enter_dual_level() == 0
        ad.exit_dual_level()


def test_unpack_dual_and_tangent_rules_match_torch():
    a = np.random.default_rng(0).standard_normal((3, 4))
    t = np.random.default_rng(1).standard_normal((3, 4))
    results = []
    for lib, ad in ((kitty, fwAD), (torch, tfwd)):
        with ad.dual_level():
            d = ad.make_dual(lib.tensor(a), lib.tensor(t))
            unpacked = ad.unpack_dual(d)
            assert type(unpacked).__name__ == "UnpackedDualTensor" and unpacked._fields == ("primal", "tangent")
            assert ad.unpack_dual(unpacked.primal).tangent is None  # the primal view drops the tangent
            assert ad.unpack_dual(d.detach()).tangent is None
            y = d * 2
            y.add_(d)  # in place
            y[0].mul_(d[1])  # in place through a view: the base's tangent follows
            with lib.no_grad():
                z = (y.softmax(-1) @ d.T).tanh()  # forward AD works under no_grad
            w = d.clone().t_()  # in-place metadata change
            results.append([ad.unpack_dual(v).tangent.numpy().copy() for v in (y, z, w)])
        assert ad.unpack_dual(lib.ones(1)).tangent is None
    for k, r in zip(*results):
        np.testing.assert_allclose(k, r, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("semantics", ["seed", "torch"])
def test_reverse_mode_after_forward_ad(semantics):
    import warnings

    previous = kitty.autograd.get_backward_semantics()
    kitty.autograd.set_backward_semantics(semantics)
    try:
        x = kitty.tensor([0.5, 1.5], dtype=kitty.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the seed's locks must not see leftover uses
            with fwAD.dual_level():
                d = fwAD.make_dual(x, kitty.ones(2, dtype=kitty.float64))
                out = (d.sin() * d).sum()
                tangent = fwAD.unpack_dual(out).tangent
            out.backward()
        xs = x.detach().numpy()
        np.testing.assert_allclose(x.grad.numpy(), np.sin(xs) + xs * np.cos(xs))
        np.testing.assert_allclose(tangent.numpy(), (np.sin(xs) + xs * np.cos(xs)).sum())
    finally:
        kitty.autograd.set_backward_semantics(previous)


@pytest.mark.parametrize("op", ["relu", "leaky_relu", "hardtanh", "cross_entropy", "max_pool1d", "conv1d"])
def test_forward_over_reverse_through_ops_with_formal_inputs(op):
    """jvp(grad(f)) (a Hessian-vector product) through ops whose create_graph gradient is also
    recorded as a function of their formal inputs: the gradient must keep its tangent."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 6))
    v = rng.standard_normal((2, 6))
    results = []
    for lib, func in ((kitty, kitty.func), (torch, torch.func)):
        F = lib.nn.functional
        target = lib.tensor([1, 4])
        fs = {
            "relu": lambda z: F.relu(z).pow(3).sum(),
            "leaky_relu": lambda z: F.leaky_relu(z * 2).pow(3).sum(),
            "hardtanh": lambda z: F.hardtanh(z * 2).pow(2).sum(),
            "cross_entropy": lambda z: F.cross_entropy(z, target),
            "max_pool1d": lambda z: F.max_pool1d(z.unsqueeze(1), 2).pow(2).sum(),
            "conv1d": lambda z: F.conv1d(z.unsqueeze(1), z[:1, :3].reshape(1, 1, 3)).pow(2).sum(),
        }
        _, hv = func.jvp(func.grad(fs[op]), (lib.tensor(x),), (lib.tensor(v),))
        results.append(hv.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-9)


def test_integer_tangents_are_refused_as_torch():
    for lib, jvp in ((kitty, kitty.func.jvp), (torch, torch.func.jvp)):
        with pytest.raises(ValueError, match="Expected tangent to be floating point or complex, but got: .*int64"):
            jvp(lambda a: a * 2, (lib.ones(3),), (lib.ones(3, dtype=lib.int64),))
