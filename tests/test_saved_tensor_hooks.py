"""``kittygrad.autograd.graph``: saved-tensor hooks, ``grad_fn._saved_<name>``, multi-grad hooks
and ``Node``, each checked against torch (every program runs on both libraries)."""
import threading
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty

LIBS = pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kitty"])


def both(program):
    """The program's result on torch and on kittygrad."""
    return program(torch), program(kitty)


@pytest.fixture(autouse=True)
def _seed_semantics_after():
    yield
    kitty.autograd.set_backward_semantics("seed")


def _vals(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


# ---- saved_tensors_hooks ------------------------------------------------------------------------


def pack_unpack_program(lib):
    packs, unpacks = [], []

    def pack(t):
        packs.append(t)
        return ("packed", t)

    def unpack(p):
        unpacks.append(p)
        return p[1]

    a = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        b = a * a
        c = b.exp()
        d = c.sum()
    identity = [p is a for p in packs] + [packs[2] is c]
    saved_self = b.grad_fn._saved_self  # accessing a packed value unpacks it
    n_before = len(unpacks)
    d.backward()
    return len(packs), identity, saved_self is a, n_before, len(unpacks), a.grad.tolist()


def test_pack_and_unpack_are_called_as_in_torch():
    ref, got = both(pack_unpack_program)
    assert got[:5] == ref[:5]
    np.testing.assert_allclose(got[5], ref[5], rtol=1e-6)


def test_backward_reads_what_unpack_returns():
    def program(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t * 2, lambda t: t):
            b = (a * a).sum()
        b.backward()
        x = lib.tensor([1.0, 3.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().numpy().copy(), lambda arr: lib.tensor(arr) + 1):
            y = x.exp().sum()
        y.backward()
        return a.grad.tolist(), x.grad.tolist()

    ref, got = both(program)
    np.testing.assert_allclose(got[0], ref[0])
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-6)


def test_innermost_hooks_win_and_no_grad_saves_nothing():
    def program(lib):
        log = []
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: log.append("outer") or t, lambda t: t):
            with lib.autograd.graph.saved_tensors_hooks(lambda t: log.append("inner") or t, lambda t: t):
                a * a
            a * a
            with lib.no_grad():
                a * a
        return log

    ref, got = both(program)
    assert got == ref == ["inner", "inner", "outer", "outer"]


def test_each_backward_unpacks_again_and_ops_in_pack_are_not_packed():
    def program(lib):
        count = [0, 0]

        def pack(t):
            count[0] += 1
            return t * 1  # an op inside the hook: not packed again

        def unpack(t):
            count[1] += 1
            return t

        a = lib.tensor([0.5, 1.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = a.sin().sum()
        y.backward(retain_graph=True)
        y.backward()
        return count, a.grad.tolist()

    ref, got = both(program)
    assert got[0] == ref[0] == [1, 2]
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-6)


def test_unpack_must_return_a_tensor():
    for lib in (torch, kitty):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
            y = (a * a).sum()
        with pytest.raises(TypeError, match="Output of saved tensor unpack_hook expected to be a Tensor but got result of type int"):
            y.backward()


def test_hooks_on_custom_function_double_backward_and_inplace_views():
    def program(lib):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g

        log = []
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: log.append("pack") or t * 0 + 10, lambda t: log.append("unpack") or t):
            y = Square.apply(a).sum()
        y.backward()
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            z = (x * x * x).sum()
        (g,) = lib.autograd.grad(z, x, create_graph=True)
        g.sum().backward()
        v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.tensor([2.0, 3.0], requires_grad=True)
        n = []
        with lib.autograd.graph.saved_tensors_hooks(lambda t: n.append(1) or t, lambda t: t):
            base = v * 1
            base[:2].mul_(w)
        (base * 1).sum().backward()
        return log, a.grad.tolist(), g.tolist(), x.grad.tolist(), len(n), v.grad.tolist(), w.grad.tolist()

    ref, got = both(program)
    assert got == ref


def test_hooks_are_thread_local():
    a = kitty.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    other_thread = []

    def run():
        other_thread.append((a * a).grad_fn)

    with kitty.autograd.graph.saved_tensors_hooks(lambda t: seen.append(t) or t, lambda t: t):
        t = threading.Thread(target=run)
        t.start()
        t.join()
    assert seen == []
    assert other_thread[0]._saved_self is a


def test_save_on_cpu_is_a_pass_through():
    def program(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.save_on_cpu(pin_memory=False):
            y = (a.exp() * a).sum()
        y.backward()
        return a.grad.tolist()

    ref, got = both(program)
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    assert issubclass(kitty.autograd.graph.save_on_cpu, kitty.autograd.graph.saved_tensors_hooks)


@LIBS
def test_disable_saved_tensors_hooks(lib):
    graph = lib.autograd.graph
    with graph.disable_saved_tensors_hooks("no hooks here"):
        with pytest.raises(RuntimeError, match="no hooks here"):
            with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        with pytest.raises(RuntimeError, match="no hooks here"):
            with graph.disable_saved_tensors_hooks("no hooks here"):
                pass
    with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        pass  # usable again


def test_packed_node_no_longer_holds_the_array():
    a = kitty.tensor([1.0, 2.0], requires_grad=True)
    with kitty.autograd.graph.saved_tensors_hooks(lambda t: t.tolist(), lambda p: kitty.tensor(p)):
        b = a.exp()
    fn = b.grad_fn
    assert "out" not in fn.__dict__
    assert not any(type(e[2]).__name__ == "ndarray" for e in fn._saved_versions)
    assert type(fn).__name__ == "Exp" and fn.name() == "ExpBackward"
    b.sum().backward()
    np.testing.assert_allclose(a.grad.tolist(), np.exp([1.0, 2.0]), rtol=1e-6)


# ---- grad_fn._saved_<name> ------------------------------------------------------------------------


SAVED_CASES = {
    "mul": (lambda lib, x, w, m1, m2: x * w, ["_saved_self", "_saved_other"]),
    "mul_scalar": (lambda lib, x, w, m1, m2: x * 2, ["_saved_other"]),
    "div": (lambda lib, x, w, m1, m2: x / w, ["_saved_self", "_saved_other"]),
    "pow_scalar": (lambda lib, x, w, m1, m2: x**2, ["_saved_self", "_saved_exponent"]),
    "pow_tensor": (lambda lib, x, w, m1, m2: x.abs() ** w, ["_saved_self", "_saved_exponent"]),
    "exp": (lambda lib, x, w, m1, m2: x.exp(), ["_saved_result"]),
    "sigmoid": (lambda lib, x, w, m1, m2: x.sigmoid(), ["_saved_result"]),
    "tanh": (lambda lib, x, w, m1, m2: x.tanh(), ["_saved_result"]),
    "relu": (lambda lib, x, w, m1, m2: x.relu(), ["_saved_result"]),
    "mm": (lambda lib, x, w, m1, m2: m1 @ m2, ["_saved_self", "_saved_mat2"]),
    "mm_method": (lambda lib, x, w, m1, m2: m1.mm(m2), ["_saved_self", "_saved_mat2"]),
    "mv": (lambda lib, x, w, m1, m2: m2.t() @ x[:3] if False else m1 @ x[:3], ["_saved_self", "_saved_vec"]),
    "dot": (lambda lib, x, w, m1, m2: x.dot(w), ["_saved_self", "_saved_tensor"]),
    "bmm": (lambda lib, x, w, m1, m2: lib.bmm(m1[None], m2[None]), ["_saved_self", "_saved_mat2"]),
    "linear": (lambda lib, x, w, m1, m2: lib.nn.functional.linear(m1, m2.t(), x[:2]), ["_saved_mat1", "_saved_mat2"]),
}


@pytest.mark.parametrize("case", sorted(SAVED_CASES))
def test_saved_values_match_torch(case):
    make, names = SAVED_CASES[case]

    def program(lib):
        x0, w0, m10, m20 = _vals(4, (4,), (4,), (2, 3), (3, 2))
        x, w = lib.tensor(x0, requires_grad=True), lib.tensor(w0, requires_grad=True)
        m1, m2 = lib.tensor(m10, requires_grad=True), lib.tensor(m20, requires_grad=True)
        out = make(lib, x, w, m1, m2)
        vals = [getattr(out.grad_fn, n) for n in names]
        return [v if not isinstance(v, lib.Tensor) else (v.detach().numpy().copy(), v.requires_grad) for v in vals]

    ref, got = both(program)
    for r, g in zip(ref, got):
        if isinstance(r, tuple):
            np.testing.assert_allclose(g[0], r[0], rtol=1e-6)
            assert g[1] == r[1]
        else:
            assert g == r


def test_saved_values_are_the_tensors_torch_returns():
    def program(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x * w
        e = x.exp()
        h = x * 3
        z = h * h
        c = lib.tensor([3.0, 4.0])
        q = x * c
        return (
            y.grad_fn._saved_self is x,
            y.grad_fn._saved_other is w,
            e.grad_fn._saved_result.grad_fn is e.grad_fn,
            z.grad_fn._saved_self.grad_fn is h.grad_fn,
            q.grad_fn._saved_self,  # not saved: other needs no gradient
            q.grad_fn._saved_other.requires_grad,
        )

    ref, got = both(program)
    assert got == ref == (True, True, True, True, None, False)


def test_saved_values_after_free_and_after_inplace_raise_as_torch():
    for lib in (torch, kitty):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x * w
        y.sum().backward()
        with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time \(or directly access saved tensors"):
            y.grad_fn._saved_self
        assert y.grad_fn._raw_saved_self is not None  # the raw object is still there
        x2 = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x2 * 2
        z = h * h
        h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.grad_fn._saved_self
        with pytest.raises(AttributeError):
            (x * w).grad_fn._saved_mat2  # another op's name


def test_saved_value_stays_after_retain_graph():
    for lib in (torch, kitty):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        y.sum().backward(retain_graph=True)
        assert y.grad_fn._saved_result.tolist() == pytest.approx(np.exp([1.0, 2.0]).tolist())


def raw_saved_program(lib):
    calls = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0])
    q = x * w
    raw = q.grad_fn._raw_saved_other
    raw.register_hooks(lambda t: calls.append(("pack", t.tolist())) or t * 10, lambda p: calls.append(("unpack", p.tolist())) or p / 10)
    value = q.grad_fn._saved_other.tolist()
    errors = []
    for attempt in (
        lambda: raw.register_hooks(lambda t: t, lambda t: t),
        lambda: q.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t),
    ):
        try:
            attempt()
        except RuntimeError as e:
            errors.append(str(e))
    q.sum().backward()
    y = x.exp()
    y.sum().backward()
    try:
        y.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: t)
    except RuntimeError as e:
        errors.append(str(e)[:60])
    return calls, value, x.grad.tolist(), errors


def test_raw_saved_register_hooks_as_torch():
    ref, got = both(raw_saved_program)
    assert got[0] == ref[0]
    assert got[1] == ref[1]
    np.testing.assert_allclose(got[2], ref[2], rtol=1e-6)
    assert got[3][0] == ref[3][0]  # hooks already set
    assert got[3][1] == ref[3][1]  # value None
    assert got[3][2] == ref[3][2]  # freed


def test_linear_raw_saved_mat2_round_trips_transposed():
    def program(lib):
        m1, w0 = _vals(5, (2, 3), (4, 3))
        x = lib.tensor(m1, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        out = lib.nn.functional.linear(x, w)
        out.grad_fn._raw_saved_mat2.register_hooks(lambda t: t * 2, lambda t: t)
        out.sum().backward()
        return x.grad.numpy().copy(), w.grad.numpy().copy()

    ref, got = both(program)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-5)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-5)


# ---- register_multi_grad_hook -------------------------------------------------------------------------


def multi_hook_program(lib):
    reg = lib.autograd.graph.register_multi_grad_hook
    log = []

    def show(grads):
        return [None if g is None else g.tolist() for g in grads]

    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    c = lib.tensor([5.0, 6.0], requires_grad=True)
    h = reg((a, b, c), lambda grads: log.append(("all", show(grads))))
    (a * b).sum().backward()
    (a * b * c).sum().backward()
    h.remove()
    (a * b).sum().backward()
    h = reg((a, b), lambda g: log.append(("any", g.tolist())), mode="any")
    (a * b).sum().backward()
    (a * 3).sum().backward()
    h.remove()
    x = a * 2
    y = b * 2
    x.register_hook(lambda g: log.append("x hook"))
    y.register_hook(lambda g: log.append("y hook"))
    h = reg((x, y), lambda grads: log.append(("non-leaf", show(grads))))
    (x + y * 3).sum().backward()
    h.remove()
    return log


@pytest.mark.parametrize("mode", ["seed", "torch"])
def test_multi_grad_hook_matches_torch(mode):
    ref = multi_hook_program(torch)
    with kitty.autograd.backward_semantics(mode):
        got = multi_hook_program(kitty)
    assert got == ref


def test_multi_grad_hook_errors_and_handle():
    a = kitty.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"Expects mode to be one of \('all', 'any'\) but got bad"):
        kitty.autograd.graph.register_multi_grad_hook((a,), print, mode="bad")
    with pytest.raises(RuntimeError, match="does not require grad"):
        kitty.autograd.graph.register_multi_grad_hook((a, kitty.ones(1)), print)
    seen = []
    with kitty.autograd.graph.register_multi_grad_hook((a,), seen.append):
        (a * 2).sum().backward()
    (a * 2).sum().backward()
    assert seen == [[kitty.tensor([2.0])]] or [g[0].tolist() for g in seen] == [[2.0]]
    assert kitty.autograd.semantics.multi_hooks[0] == 0
    assert kitty.autograd.semantics.mode.plain  # the usual path again


# ---- Node ------------------------------------------------------------------------------------------------


def node_program(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([3.0, 4.0])
    y = (x * c).exp()
    fn = y.grad_fn
    structure = [  # (torch names its accumulator torch::autograd::AccumulateGrad, and ops XBackward0)
        (None if n is None else n.name().replace("torch::autograd::", "").rstrip("0"), nr)
        for n, nr in fn.next_functions[0][0].next_functions
    ]
    acc = fn.next_functions[0][0].next_functions[0][0]
    fn.metadata["k"] = 1
    log = []
    fn.register_prehook(lambda go: log.append("pre"))
    fn.register_hook(lambda gi, go: log.append("post"))
    y.sum().backward()
    return (
        isinstance(fn, lib.autograd.graph.Node),
        fn.name().rstrip("0"),
        structure,
        acc.variable is x,
        acc.next_functions,
        fn.metadata,
        log,
    )


def test_node_matches_torch():
    ref, got = both(node_program)
    assert got == ref


@LIBS
def test_increment_version(lib):
    a = lib.ones(2, requires_grad=True)
    b = a * 2
    c = b * b
    lib.autograd.graph.increment_version(b)
    assert b._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()
    lib.autograd.graph.increment_version([a, b])
    assert (a._version, b._version) == (1, 2)


def test_no_warnings_and_default_path_untouched_without_hooks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = kitty.tensor([1.0, 2.0], requires_grad=True)
        y = a.exp()
        assert type(y.grad_fn).__name__ == "Exp" and "_packed" not in y.grad_fn.__dict__
        assert kitty.autograd.function.observers == []
        y.sum().backward()
