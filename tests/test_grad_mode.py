"""Grad modes: thread-local, exception-safe, nestable, context managers and decorators."""
import threading

import pytest

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
