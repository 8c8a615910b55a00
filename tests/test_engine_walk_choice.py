"""Which walk a backward takes once earlier graphs are alive, and that each gives torch's gradients.

A node that ran in an earlier backward and stays alive (its graph kept by a variable, as a training
loop's last ``output``) sends a later backward to the general walk only while it has a recorded
use still to come, or when the new backward starts from it: then the new walk may reach a node
that ran before. Otherwise the locks' walk serves (``_run_locked``)."""
from __future__ import annotations

import pytest
import torch

import kittygrad as kitty
from kittygrad.autograd import set_backward_semantics
from kittygrad.autograd import walk


@pytest.fixture
def torch_semantics():
    set_backward_semantics("torch")
    yield
    set_backward_semantics("seed")


@pytest.fixture
def walks(monkeypatch):
    """The walks taken, in order: 'locked' or 'general'."""
    taken = []
    for name, label in (("_run_locked", "locked"), ("_run_general", "general")):
        original = getattr(walk, name)

        def spy(*args, _original=original, _label=label, **kwargs):
            taken.append(_label)
            return _original(*args, **kwargs)

        monkeypatch.setattr(walk, name, spy)
    return taken


def _both(program):
    """``program(lib)`` -> list of gradients, under torch and kittygrad, compared."""
    got = [[g.tolist() for g in program(lib)] for lib in (torch, kitty)]
    assert got[1] == got[0]


def test_an_old_graph_kept_alive_leaves_the_next_backward_on_the_locks(torch_semantics, walks):
    def program(lib):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        kept = (w + 1.0).sum()  # an add node: it saves nothing, so it stays runnable once it ran
        kept.backward()
        walks.clear()
        loss = (w * w).sum()
        loss.backward()
        return [w.grad]

    _both(program)
    assert walks == ["locked"]  # (kittygrad's walks only, since the last clear)


def test_a_new_use_of_a_node_that_ran_takes_the_general_walk(torch_semantics, walks):
    def program(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x + 1.0
        y.sum().backward()
        walks.clear()
        (y * 2.0).sum().backward()  # reaches y's node again: torch runs it again
        return [x.grad]

    _both(program)
    assert walks[-1] == "general"


def test_a_use_left_by_retain_graph_takes_the_general_walk(torch_semantics, walks):
    def program(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        h = a * a
        l1, l2 = h.sum(), (h * 3.0).sum()
        l1.backward(retain_graph=True)
        first = a.grad.clone()
        walks.clear()
        l2.backward()
        return [first, a.grad]

    _both(program)
    assert walks[-1] == "general"


def test_a_second_backward_from_the_same_root(torch_semantics, walks):
    def program(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        loss = (a * a).sum()
        loss.backward(retain_graph=True)
        walks.clear()
        loss.backward()
        return [a.grad]

    _both(program)
    assert walks[-1] == "general"


def test_seed_semantics_keep_the_locks_walk_past_an_old_graph():
    """The seed's walk too: an executed graph kept alive by retain_graph, all its uses delivered."""
    w = kitty.tensor([1.0, 2.0], requires_grad=True)
    kept = (w * 3.0).sum()
    kept.backward(retain_graph=True)
    assert walk._retained_alive.data
    assert not walk._ran_with_uses_to_come()
    loss = (w * w).sum()
    loss.backward()
    assert w.grad.tolist() == [3.0 + 2.0, 3.0 + 4.0]
    reused = (kept * 2.0)  # a new use of the retained root: now a use is still to come
    assert walk._ran_with_uses_to_come()
    reused.backward()
    assert w.grad.tolist() == [5.0 + 6.0, 7.0 + 6.0]
