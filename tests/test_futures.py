"""kittygrad.futures against torch.futures: completion, chaining, errors, collect_all/wait_all."""

from __future__ import annotations

import pytest
import torch

import kittygrad as kitty


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_then_chains_run_once_the_parent_completes(lib):
    fut = lib.futures.Future()
    order = []
    doubled = fut.then(lambda f: order.append("double") or f.value() * 2)
    plus_one = doubled.then(lambda f: f.value() + 1)
    fut.add_done_callback(lambda f: order.append("callback"))
    assert not fut.done() and not doubled.done()
    fut.set_result(21)
    assert fut.done() and doubled.done() and plus_one.done()
    assert (fut.value(), doubled.wait(), plus_one.wait()) == (21, 42, 43)
    assert sorted(order) == ["callback", "double"]
    late = fut.then(lambda f: f.value() - 1)  # on a completed future the callback runs at once
    assert late.done() and late.value() == 20


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_errors_travel_down_the_chain(lib):
    fut = lib.futures.Future()
    child = fut.then(lambda f: f.value() + 1)
    fut.set_exception(ValueError("bad input"))
    with pytest.raises(ValueError, match="bad input"):
        fut.wait()
    with pytest.raises(Exception, match="bad input"):
        child.wait()
    failing = lib.futures.Future()
    broken = failing.then(lambda f: 1 / 0)
    failing.set_result(1)
    with pytest.raises(Exception, match="division by zero"):
        broken.wait()


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_a_future_completes_once(lib):
    fut = lib.futures.Future()
    fut.set_result(1)
    with pytest.raises(RuntimeError):
        fut.set_result(2)


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_collect_all_and_wait_all(lib):
    a, b = lib.futures.Future(), lib.futures.Future()
    both = lib.futures.collect_all([a, b])
    a.set_result(lib.ones(2))
    assert not both.done()
    b.set_result(3)
    assert [f.value() for f in both.wait()][1] == 3
    assert lib.futures.wait_all([a, b])[1] == 3


def test_waiting_on_a_future_nothing_will_complete_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="never end"):
        kitty.futures.Future().wait()
    with pytest.raises(RuntimeError, match="before the future completed"):
        kitty.futures.Future().value()
