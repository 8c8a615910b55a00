"""Grad modes: thread-local, exception-safe, nestable, context managers and decorators."""
import threading

import pytest
import torch

import kittygrad as kitty


def test_no_grad_stops_recording():
    a = kitty.ones(2, requires_grad=True)
    with kitty.no_grad():
        b = a * 2
    assert not b.requires_grad and b.grad_fn is None
    assert (a * 2).requires_grad


@pytest.mark.parametrize("deco", [kitty.no_grad, kitty.no_grad(), kitty.inference_mode, kitty.inference_mode()])
def test_decorator_with_and_without_parentheses(deco):
    @deco
    def f(x):
        """doc"""
        return x * 2, kitty.is_grad_enabled()

    y, enabled = f(kitty.ones(1, requires_grad=True))
    assert not enabled and not y.requires_grad
    assert f.__doc__ == "doc"
    assert kitty.is_grad_enabled()


def test_nesting_and_enable_grad():
    with kitty.no_grad():
        assert not kitty.is_grad_enabled()
        with kitty.enable_grad():
            assert kitty.is_grad_enabled()
            with kitty.set_grad_enabled(False):
                assert not kitty.is_grad_enabled()
            assert kitty.is_grad_enabled()
        assert not kitty.is_grad_enabled()
    assert kitty.is_grad_enabled()


def test_exception_inside_block_restores_mode():
    with pytest.raises(ValueError):
        with kitty.no_grad():
            raise ValueError
    assert kitty.is_grad_enabled()


def test_set_grad_enabled_as_a_function_call():
    kitty.set_grad_enabled(False)
    try:
        assert not kitty.is_grad_enabled()
    finally:
        kitty.set_grad_enabled(True)
    assert kitty.is_grad_enabled()


def test_set_grad_enabled_as_decorator():
    @kitty.set_grad_enabled(False)
    def f():
        return kitty.is_grad_enabled()

    assert kitty.is_grad_enabled()
    assert f() is False
    assert kitty.is_grad_enabled()


def test_inference_mode_flag():
    with kitty.inference_mode():
        assert kitty.is_inference_mode_enabled() and not kitty.is_grad_enabled()
    assert not kitty.is_inference_mode_enabled()
    with kitty.inference_mode(False):
        assert kitty.is_grad_enabled()


def test_modes_are_per_thread():
    results = []
    barrier = threading.Barrier(2)

    def worker(disable):
        if disable:
            with kitty.no_grad():
                barrier.wait()
                results.append(("off", kitty.is_grad_enabled()))
                barrier.wait()
        else:
            barrier.wait()
            results.append(("on", kitty.is_grad_enabled()))
            barrier.wait()

    threads = [threading.Thread(target=worker, args=(d,)) for d in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [("off", False), ("on", True)]


def test_leaf_update_under_no_grad_is_allowed():
    w = kitty.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.sub_(1)
    with kitty.no_grad():
        w.sub_(0.5)
    assert w.tolist() == [0.5, 0.5] and w.is_leaf and w.requires_grad


INFERENCE_CASES = [
    ("factory", "lib.zeros(2)"), ("op", "x * 2"), ("view of an ordinary tensor", "x[0]"),
    ("view of an inference tensor", "(x * 2)[0]"), ("matmul with a parameter", "x @ w"),
    ("random", "lib.randn(2)"), ("a layer", "lib.nn.Linear(3, 2)(x)"), ("tensor()", "lib.tensor([1.0])"),
]


@pytest.mark.parametrize("what,code", INFERENCE_CASES)
def test_what_inference_mode_makes_is_an_inference_tensor_as_in_torch(what, code):
    import torch

    kinds = []
    for lib in (torch, kitty):
        x, w = lib.ones(2, 3), lib.ones(3, requires_grad=True)
        with lib.inference_mode():
            made = eval(code, {"lib": lib, "x": x, "w": w})
        kinds.append((made.is_inference(), made.requires_grad, (made * 1).is_inference()))
    assert kinds[1] == kinds[0]


def test_inplace_on_an_ordinary_tensor_inside_inference_mode_keeps_it_ordinary():
    x = kitty.ones(2)
    with kitty.inference_mode():
        x.add_(1)
        with kitty.inference_mode(False):
            assert not (x + 1).is_inference()
    assert not x.is_inference() and not (x + 1).is_inference()


def test_requires_grad_on_an_inference_tensor_outside_inference_mode_is_refused_as_in_torch():
    import torch

    for lib in (torch, kitty):
        with lib.inference_mode():
            made = lib.ones(2) * 2
            made.requires_grad_(False)  # allowed inside, and a False is always allowed
        with pytest.raises(RuntimeError, match="^Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."):
            made.requires_grad_()
        assert not lib.ones(2).requires_grad_().is_inference()


INFERENCE_MISUSES = [
    # written in place outside inference mode (also through a view, made there or outside)
    "t.add_(1)", "t[0] = 1.0", "t.zero_()", "t.copy_(lib.zeros(2, 3))", "t.uniform_()", "t[0].fill_(1)",
    "t.view(6).mul_(2)", "v.add_(1)", "t.transpose_(0, 1)", "t.masked_fill_(t > 0, 0.0)",
    "lib.nn.init.normal_(t)", "t.resize_(6)",
    # saved for a recorded backward: as an operand, and as an index, a mask or a target
    "t * w", "t @ w.T", "lib.nn.Linear(3, 2)(t)", "lib.nn.functional.embedding(i, w)", "w[i]",
    "w.gather(1, i[:, None])", "w.index_select(0, i)", "lib.nn.functional.cross_entropy(w, i)",
    "w.masked_fill(t > 0, 0.0)", "lib.where(t > 0, w, 0.0)",
    # allowed: not saved (add), no gradient recorded, or a clone (an ordinary tensor)
    "t + w", "t * 2", "t.clone().add_(1)", "t.clone() * w", "lib.nn.functional.embedding(i, w.detach())",
    "t.detach().add_(1)", "with lib.inference_mode():\n    t.add_(1)\n    t[0] = 5.0",
    "assert t.view(6).is_inference() and t[0].is_inference() and not (t + 1).is_inference()",
]


@pytest.mark.parametrize("code", INFERENCE_MISUSES)
def test_inference_tensor_used_outside_inference_mode_is_refused_as_in_torch(code):
    import torch

    got = []
    for lib in (torch, kitty):
        w = lib.ones(2, 3, requires_grad=True)
        with lib.inference_mode():
            t, i = lib.ones(2, 3) * 2, lib.tensor([1, 0])
            v = t[1]
        lib.manual_seed(0)
        try:
            exec(code, {"lib": lib, "t": t, "i": i, "w": w, "v": v})
            got.append(("ok", t.tolist()))
        except RuntimeError as e:  # (refused after the write, which stays: torch's order)
            got.append((str(e), t.tolist()))
    assert got[1] == got[0]


@pytest.mark.parametrize("code", ["p.add_(1)", "p[0] = 5.0", "p[[0]] = 5.0", "p[0:2] = 1.0", "p[p > 1] = 0.0",
                                  "p[0].add_(1)", "p.unsqueeze_(0)", "torch_int()",
                                  "(p * 2).backward()", "lib.autograd.grad((p * 2).sum(), [p, q])"])
def test_autograd_errors_start_with_torchs_first_line(code):
    import torch

    lines = []
    for lib in (torch, kitty):
        p = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        q = lib.tensor(1.0, requires_grad=True)
        env = {"lib": lib, "p": p, "q": q, "torch_int": lambda: lib.tensor([1, 2]).requires_grad_()}
        with pytest.raises(RuntimeError) as caught:
            exec(code, env)
        lines.append(str(caught.value).split("\n")[0])
    assert lines[1] == lines[0]


def test_decorated_generators_run_each_step_in_the_mode_as_torch():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        seen = []

        @lib.no_grad()
        def steps():
            got = yield (x * 1).requires_grad
            seen.append((got, lib.is_grad_enabled()))
            try:
                yield (x * 2).requires_grad
            except ValueError:
                seen.append(("caught", lib.is_grad_enabled()))
                yield "after throw"
            return "done"

        g = steps()
        seen.append((next(g), lib.is_grad_enabled()))
        seen.append((g.send("hello"), lib.is_grad_enabled()))
        seen.append((g.throw(ValueError("boom")), lib.is_grad_enabled()))
        with pytest.raises(StopIteration) as stop:
            next(g)
        seen.append(stop.value.value)

        @lib.enable_grad()
        def grad_steps():
            for _ in range(2):
                yield lib.is_grad_enabled()

        with lib.no_grad():
            seen.append((list(grad_steps()), lib.is_grad_enabled()))
        g = grad_steps()
        with lib.no_grad():
            next(g)
            g.close()
            seen.append(lib.is_grad_enabled())
        return seen

    assert run(kitty) == run(torch)


def test_set_grad_enabled_repr():
    from kittygrad import _display

    assert repr(torch.set_grad_enabled(True)) == "torch.autograd.grad_mode.set_grad_enabled(mode=True)"
    assert repr(kitty.set_grad_enabled(True)) == f"{_display.name}.autograd.grad_mode.set_grad_enabled(mode=True)"


@pytest.mark.parametrize("make", [
    lambda m: m.no_grad(), lambda m: m.enable_grad(), lambda m: m.inference_mode(), lambda m: m.inference_mode(False),
    lambda m: m.set_grad_enabled(False), lambda m: m.set_grad_enabled(True),
])
def test_grad_mode_contexts_bind_none_as_torchs(make):
    """``with torch.no_grad() as x`` binds None in torch (its __enter__ returns nothing)."""
    for lib in (torch, kitty):
        with make(lib) as bound:
            assert bound is None
