"""The seed's backward semantics (the default) and PyTorch's, side by side.

Under ``set_backward_semantics("torch")`` (or a ``backward_semantics("torch")`` block, or
``KITTYGRAD_BACKWARD=torch``) uses of a tensor that a backward cannot reach do not hold gradients
back and nothing warns: every program here runs on torch and on kittygrad, and the gradients must
be torch's. Under the seed's semantics the same programs keep the seed's locks and warnings.
"""
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.errors import BackwardGraphWarning

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _seed_semantics_after():
    yield
    kitty.autograd.set_backward_semantics("seed")


def _arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def logged_entropy_program(lib, steps=3):
    """A PyTorch training loop that keeps a logged intermediate (``history.append(entropy)``)."""
    w0, x0 = _arrays(0, (4, 3), (5, 4))
    w = lib.tensor(w0, requires_grad=True)
    x = lib.tensor(x0)
    opt = lib.optim.SGD([w], lr=0.5)
    history, grads = [], []
    for _ in range(steps):
        probs = lib.softmax(x @ w, dim=1)
        entropy = -(probs * lib.log(probs)).sum(dim=1).mean()
        history.append(entropy)  # kept with its graph, as the program logs it
        loss = -probs[:, 0].mean()
        opt.zero_grad()
        loss.backward()
        grads.append(None if w.grad is None else w.grad.detach().numpy().copy())
        opt.step()
    return [h.item() for h in history], grads


def two_losses_program(lib):
    """Two losses from one trunk; only the first is backpropagated."""
    x0, w0 = _arrays(1, (3, 4), (4,))
    x = lib.tensor(x0, requires_grad=True)
    w = lib.tensor(w0, requires_grad=True)
    h = (x * w).tanh()
    loss_a = h.sum()
    loss_b = (h * h).mean()  # never backpropagated
    loss_a.backward()
    if x.grad is None:  # held by the seed's locks
        return None
    return x.grad.numpy().copy(), w.grad.numpy().copy(), loss_b.item()


def hooks_order_program(lib):
    log = []
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b * 3
    b.grad_fn.register_prehook(lambda go: log.append("b node pre"))
    b.register_hook(lambda g: log.append("b tensor hook 1"))
    b.retain_grad()
    b.register_hook(lambda g: (log.append("b tensor hook 2"), g * 10)[1])
    b.grad_fn.register_hook(lambda gi, go: log.append("b node post"))
    a.register_hook(lambda g: log.append("a hook"))
    a.register_post_accumulate_grad_hook(lambda t: log.append("a post acc"))
    c.grad_fn.register_prehook(lambda go: log.append("c node pre"))
    c.register_hook(lambda g: log.append("c hook"))
    c.grad_fn.register_hook(lambda gi, go: log.append("c node post"))
    (c.sum() + b.sum()).backward()
    return log, b.grad.tolist(), a.grad.tolist()


# ---- the switch ---------------------------------------------------------------------------------


def test_default_is_the_seed_and_the_switch_round_trips():
    assert kitty.autograd.get_backward_semantics() == "seed"
    kitty.autograd.set_backward_semantics("torch")
    assert kitty.autograd.get_backward_semantics() == "torch"
    kitty.autograd.set_backward_semantics("seed")
    assert kitty.autograd.get_backward_semantics() == "seed"


@pytest.mark.parametrize("bad", ["pytorch", "", None, 1])
def test_unknown_semantics_are_refused(bad):
    with pytest.raises(ValueError, match="backward semantics must be 'seed' or 'torch', got"):
        kitty.autograd.set_backward_semantics(bad)
    with pytest.raises(ValueError, match="must be 'seed' or 'torch'"):
        kitty.autograd.backward_semantics(bad)


def test_context_manager_restores_the_previous_mode_even_on_error():
    with pytest.raises(ZeroDivisionError):
        with kitty.autograd.backward_semantics("torch"):
            assert kitty.autograd.get_backward_semantics() == "torch"
            1 / 0
    assert kitty.autograd.get_backward_semantics() == "seed"
    kitty.autograd.set_backward_semantics("torch")
    with kitty.autograd.backward_semantics("seed"):
        assert kitty.autograd.get_backward_semantics() == "seed"
        with kitty.autograd.backward_semantics("torch"):
            assert kitty.autograd.get_backward_semantics() == "torch"
        assert kitty.autograd.get_backward_semantics() == "seed"
    assert kitty.autograd.get_backward_semantics() == "torch"


def test_context_manager_as_decorator_and_set_inside_a_block():
    @kitty.autograd.backward_semantics("torch")
    def inside():
        return kitty.autograd.get_backward_semantics()

    assert inside() == "torch"
    assert kitty.autograd.get_backward_semantics() == "seed"
    with kitty.autograd.backward_semantics("seed"):
        kitty.autograd.set_backward_semantics("torch")  # holds at once, and after the block
        assert kitty.autograd.get_backward_semantics() == "torch"
    assert kitty.autograd.get_backward_semantics() == "torch"


def test_block_is_thread_local_and_set_is_process_wide():
    seen = {}

    def other(key):
        seen[key] = kitty.autograd.get_backward_semantics()

    with kitty.autograd.backward_semantics("torch"):
        t = threading.Thread(target=other, args=("in block",))
        t.start()
        t.join()
    kitty.autograd.set_backward_semantics("torch")
    t = threading.Thread(target=other, args=("after set",))
    t.start()
    t.join()
    assert seen == {"in block": "seed", "after set": "torch"}


def test_environment_variable_sets_torch_semantics_at_import():
    code = (
        "import sys; sys.path.insert(0, 'tests'); import kittygrad as kitty; "
        "from test_backward_semantics import logged_entropy_program as p; "
        "print(kitty.autograd.get_backward_semantics()); "
        "print(all(g is not None for g in p(kitty)[1]))"
    )
    env = dict(os.environ, KITTYGRAD_BACKWARD="torch")
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["torch", "True"]
    env["KITTYGRAD_BACKWARD"] = "bogus"
    out = subprocess.run(
        [sys.executable, "-c", "import kittygrad as k; print(k.autograd.get_backward_semantics())"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert out.stdout.split() == ["seed"]
    assert "KITTYGRAD_BACKWARD must be 'torch' or 'seed', got 'bogus'" in out.stderr


# ---- the logged intermediate ------------------------------------------------------------------------


def test_logged_intermediate_gets_torch_gradients_under_torch_semantics():
    ref_history, ref_grads = logged_entropy_program(torch)
    kitty.autograd.set_backward_semantics("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing warns
        history, grads = logged_entropy_program(kitty)
    np.testing.assert_allclose(history, ref_history, rtol=1e-5)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-6)


def test_logged_intermediate_under_seed_semantics_warns_naming_the_switch():
    with pytest.warns(BackwardGraphWarning, match=r"not completed.*set_backward_semantics\('torch'\)"):
        history, grads = logged_entropy_program(kitty, steps=1)
    assert grads == [None]  # the seed's locks hold the gradient for the logged entropy


def test_both_semantics_side_by_side_in_one_program():
    ref = logged_entropy_program(torch, steps=2)[1]
    with kitty.autograd.backward_semantics("torch"):
        got = logged_entropy_program(kitty, steps=2)[1]
    with pytest.warns(BackwardGraphWarning, match="not completed"):
        seed = logged_entropy_program(kitty, steps=2)[1]
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-6)
    assert seed == [None, None]


# ---- other programs, checked against torch ---------------------------------------------------------


def test_two_losses_one_backward():
    ref = two_losses_program(torch)
    with kitty.autograd.backward_semantics("torch"), warnings.catch_warnings():
        warnings.simplefilter("error")
        got = two_losses_program(kitty)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-7)
    with pytest.warns(BackwardGraphWarning, match="not completed"):
        assert two_losses_program(kitty) is None


def test_second_backward_through_freed_values_raises_as_torch():
    for lib in (torch, kitty):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * x
        with kitty.autograd.backward_semantics("torch"):
            h.sum().backward()
            with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time \(or directly"):
                (h * 2).sum().backward()


def retain_graph_program(lib):
    x0, w0 = _arrays(2, (3,), (3,))
    x = lib.tensor(x0, requires_grad=True)
    w = lib.tensor(w0, requires_grad=True)
    h = (x * w).exp()
    out = []
    h.sum().backward(retain_graph=True)
    out.append(w.grad.numpy().copy())  # read between two backward calls on a shared graph
    (h * h).sum().backward(retain_graph=True)
    out.append(w.grad.numpy().copy())
    h.mean().backward()
    out.append(x.grad.numpy().copy())
    return out


def test_retain_graph_patterns_match_torch():
    ref = retain_graph_program(torch)
    for mode in ("seed", "torch"):
        with kitty.autograd.backward_semantics(mode):
            got = retain_graph_program(kitty)
        for g, r in zip(got, ref):
            np.testing.assert_allclose(g, r, rtol=1e-5)


@pytest.mark.parametrize("name", ["add", "view_t", "neg", "slice", "expand", "cat", "mul_scalar", "exp", "square"])
def test_nodes_without_saved_tensors_run_again_as_in_torch(name):
    """torch frees saved tensors only: a node that saved none runs again without retain_graph."""
    make = {
        "add": lambda a, lib: a + 1,
        "view_t": lambda a, lib: a.view(2, 1).t(),
        "neg": lambda a, lib: -a,
        "slice": lambda a, lib: a[0:1],
        "expand": lambda a, lib: a.expand(3, 2),
        "cat": lambda a, lib: lib.cat([a, a]),
        "mul_scalar": lambda a, lib: a * 2,
        "exp": lambda a, lib: a.exp(),
        "square": lambda a, lib: a * a,
    }[name]
    results = []
    for lib in (torch, kitty):
        a = lib.ones(2, requires_grad=True)
        y = make(a, lib)
        with kitty.autograd.backward_semantics("torch"):
            try:
                y.sum().backward()
                y.sum().backward()
                results.append(a.grad.tolist())
            except RuntimeError as e:
                results.append(str(e)[:40])
    assert results[0] == results[1]


def test_weight_view_made_once_outside_the_loop():
    """A common torch pattern: ``wt = w.t()`` once, used by every step's graph."""
    outs = []
    for lib in (torch, kitty):
        w0, x0 = _arrays(3, (3, 4), (2, 4))
        w = lib.tensor(w0, requires_grad=True)
        wt = w.t()
        with kitty.autograd.backward_semantics("torch"):
            for _ in range(2):
                (lib.tensor(x0) @ wt).pow(2).sum().backward()
        outs.append(w.grad.numpy().copy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5)


@pytest.mark.parametrize("mode", ["seed", "torch"])
def test_hooks_order_is_torchs(mode):
    ref = hooks_order_program(torch)
    with kitty.autograd.backward_semantics(mode):
        got = hooks_order_program(kitty)
    assert got == ref


def test_autograd_grad_and_inputs_match_torch_under_both():
    def program(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x.sin() * x
        kept = h * 3  # a use that neither call reaches
        (g,) = lib.autograd.grad(h.sum(), x, retain_graph=True)
        h.pow(2).sum().backward(inputs=[x])
        return g.tolist(), x.grad.tolist(), kept.shape

    ref = program(torch)
    for mode in ("seed", "torch"):
        with kitty.autograd.backward_semantics(mode):
            got = program(kitty)
        np.testing.assert_allclose(got[0], ref[0], rtol=1e-6)
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-6)


def test_seed_semantics_unchanged_by_a_torch_block_before():
    with kitty.autograd.backward_semantics("torch"):
        logged_entropy_program(kitty, steps=1)
    a = kitty.tensor([1.0], requires_grad=True)
    b = a * 2
    kept = b * 3  # noqa: F841 - the seed waits for it
    with pytest.warns(BackwardGraphWarning, match="not completed"):
        (b * 5).sum().backward()
    assert a.grad is None


def test_double_backward_under_torch_semantics():
    def program(lib):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        y = (x.exp() * x).sum()
        log = x * 2  # noqa: F841 - unreachable use
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
        return x.grad.tolist()

    ref = program(torch)
    with kitty.autograd.backward_semantics("torch"):
        np.testing.assert_allclose(program(kitty), ref, rtol=1e-6)


# ---- retain_grad and in-place (the seed's warning) ---------------------------------------------------


def retain_then_inplace(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    b.retain_grad()
    b.mul_(3)
    (b * b).sum().backward()
    v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    base = v * 1
    base.retain_grad()
    base[:2].mul_(2)
    (base * base).sum().backward()
    return b.grad.tolist(), a.grad.tolist(), base.grad.tolist(), v.grad.tolist()


def test_retain_grad_then_inplace_gives_torchs_gradient_and_the_seed_warns():
    ref = retain_then_inplace(torch)
    with pytest.warns(UserWarning, match="An attempt to assign a gradient to a tensor with retains_grad=True") as rec:
        got = retain_then_inplace(kitty)
    assert got == ref
    assert len([w for w in rec if "retains_grad=True" in str(w.message)]) == 2
    assert all(w.filename == __file__ for w in rec)  # pointed at the user's backward() call
    with kitty.autograd.backward_semantics("torch"), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert retain_then_inplace(kitty) == ref


def test_retain_grad_after_the_inplace_change_does_not_warn():
    a = kitty.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    b.mul_(3)
    b.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (b * b).sum().backward()
    assert b.grad.tolist() == [12.0, 24.0]


# ---- torch's semantics by the locks ---------------------------------------------------------------


def _shared_graphs_program(lib, retain: bool):
    """Uses a plain backward meets under torch's semantics: a leaf used three times that already has
    a gradient, an intermediate another live graph also used, a leaf that graph shares, and the
    values of a ``max`` kept before ``backward()`` (torch's transfer-learning tutorial keeps them)."""
    a0, b0, c0 = _arrays(7, (3, 4), (4,), (3,))
    a = lib.tensor(a0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    c = lib.tensor(c0, requires_grad=True)
    a.grad = lib.ones(3, 4)  # (accumulated: torch adds the walk's sum for a to it)
    h = (a * b).tanh()
    other = (h * c[:, None]).sum() + (b * b).sum()  # alive, never backpropagated
    out = h * a + a.exp() * c[:, None]
    values, _ = lib.max(out, 1)  # (alive through the backward)
    loss = out.sum() + (h.sin() * b).mean()
    loss.backward(retain_graph=retain)
    return [t.grad.detach().numpy().copy() for t in (a, b, c)], (other, values, h, out, a, b, c)


def _locks(*tensors) -> list:
    return [t.grad_fn._lock if t.grad_fn is not None else t._accumulator()._lock for t in tensors]


def test_torch_semantics_by_the_locks_gives_the_general_walks_gradients(monkeypatch):
    """A plain backward under torch's semantics walks by the locks. Uses that other live graphs
    recorded (a node or a leaf they share, a kept max's values) leave nodes waiting when the stack
    runs dry: the uses still to come are counted from those, the others set aside until the walk
    ends. The gradients are the general walk's (retain_graph takes it) bit for bit, and torch's;
    the locks end as the general walk leaves them."""
    from kittygrad.autograd import walk

    kitty.autograd.set_backward_semantics("torch")
    monkeypatch.setattr(walk, "_run_general", lambda *args: pytest.fail("the general walk ran"))
    locked, kept = _shared_graphs_program(kitty, retain=False)
    locks = _locks(*kept[2:])
    assert locks == [1, 1, 0, 2, 1]  # (h used by other, out by max, b twice and c once by other)
    monkeypatch.undo()
    kitty.autograd.set_backward_semantics("torch")
    by_count, kept = _shared_graphs_program(kitty, retain=True)
    assert locks == _locks(*kept[2:])
    theirs, _ = _shared_graphs_program(torch, retain=False)
    for ours, general, ref in zip(locked, by_count, theirs):
        np.testing.assert_array_equal(ours, general)
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6)


def test_torch_semantics_plain_loop_never_counts_uses(monkeypatch):
    """A training loop whose graphs die each step takes the locks' walk alone: no pass over the graph."""
    from kittygrad.autograd import walk

    kitty.autograd.set_backward_semantics("torch")
    monkeypatch.setattr(walk, "_run_general", lambda *args: pytest.fail("the general walk ran"))
    model = kitty.nn.Sequential(kitty.nn.Linear(4, 8), kitty.nn.ReLU(), kitty.nn.Linear(8, 2))
    opt = kitty.optim.SGD(model.parameters(), lr=0.1)
    x, y = kitty.randn(5, 4), kitty.tensor([0, 1, 1, 0, 1])
    for _ in range(3):
        opt.zero_grad()
        loss = kitty.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert all(p.grad is not None for p in model.parameters())


def test_torch_semantics_hands_a_leafs_first_gradient_over_without_a_copy(monkeypatch):
    """As the seed's walk (and torch's AccumulateGrad): an array nothing else holds becomes the
    leaf's .grad as it is; one that two leaves got (add's backward hands both its gradient) is
    copied for each, so neither .grad writes into the other."""
    from kittygrad import backend

    kitty.autograd.set_backward_semantics("torch")
    copies = []
    grad_like = backend.grad_like
    monkeypatch.setattr(backend, "grad_like", lambda g, like: copies.append(g.shape) or grad_like(g, like))
    w = kitty.ones(3, requires_grad=True)
    (w * kitty.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert copies == [] and w.grad.tolist() == [1.0, 2.0, 3.0]
    a, b = kitty.ones(2, 3, requires_grad=True), kitty.ones(2, 3, requires_grad=True)
    (a + b).exp().sum().backward()
    assert len(copies) >= 1 and not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1.0)
    np.testing.assert_allclose(b.grad.numpy(), np.exp(2.0), rtol=1e-6)
