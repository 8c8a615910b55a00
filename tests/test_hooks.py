"""Hooks: tensor hooks, post-accumulate hooks, node hooks, module full backward hooks (vs torch)."""
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty


def np_(t):
    return None if t is None else t.detach().numpy().copy()


# ---- Tensor.register_hook ----------------------------------------------------------------------


def test_tensor_hook_replaces_leaf_gradient_and_is_removable():
    for lib in (kitty, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        h = a.register_hook(lambda g: seen.append(np_(g)) or g * 10)
        (a * 3).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), [30.0, 30.0])
        np.testing.assert_array_equal(seen[0], [3.0, 3.0])
        h.remove()
        a.grad = None
        (a * 3).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


def test_tensor_hook_on_non_leaf_changes_what_flows_upstream():
    results = []
    for lib in (kitty, torch):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = a * a
        b.register_hook(lambda g: g * 2)
        b.register_hook(lambda g: g + 1)  # hooks chain, in registration order
        (b * lib.tensor([1.0, -1.0, 0.5])).sum().backward()
        results.append(a.grad.numpy().copy())
    np.testing.assert_allclose(results[0], results[1])


def test_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        kitty.ones(2).register_hook(lambda g: g)


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    for lib in (kitty, torch):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        h = p.register_post_accumulate_grad_hook(lambda t: seen.append(np_(t.grad)))
        (p * 2).sum().backward()
        (p * 3).sum().backward()
        np.testing.assert_array_equal(seen[0], [2.0, 2.0])
        np.testing.assert_array_equal(seen[1], [5.0, 5.0])  # after accumulation
        h.remove()
        (p * 1).sum().backward()
        assert len(seen) == 2
    with pytest.raises(RuntimeError):
        (kitty.ones(1, requires_grad=True) * 2).register_post_accumulate_grad_hook(lambda t: None)


# ---- node hooks ----------------------------------------------------------------------------------


def test_node_prehook_replaces_grad_outputs():
    for lib in (kitty, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * a
        h = b.grad_fn.register_prehook(lambda gout: (gout[0] * 5,))
        b.sum().backward(retain_graph=True)
        np.testing.assert_array_equal(a.grad.numpy(), [10.0, 20.0])
        h.remove()
        a.grad = None
        b.sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0])


def test_node_register_hook_stores_a_removable_hook():
    a = kitty.tensor([1.0], requires_grad=True)
    node = (a * 2).grad_fn
    hook = lambda gi, go: None  # noqa: E731
    h = node.register_hook(hook)
    assert list(node._post_hooks_node.values()) == [hook]
    h.remove()
    assert node._post_hooks_node == {}


def test_node_post_hook_sees_both_sides_and_replaces_grad_inputs():
    out = {}
    for lib in (kitty, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0], requires_grad=True)
        b = a * c
        seen = []

        def hook(gi, go, seen=seen):
            seen.append(([np_(g) for g in gi], [np_(g) for g in go]))
            return (gi[0] * 2, None)

        b.grad_fn.register_hook(hook)
        b.sum().backward()
        out[lib.__name__] = (seen, np_(a.grad), c.grad)
    (k_seen, k_a, k_c), (t_seen, t_a, t_c) = out["kittygrad"], out["torch"]
    np.testing.assert_array_equal(k_a, t_a)
    assert k_c is None and t_c is None
    for (kgi, kgo), (tgi, tgo) in zip(k_seen, t_seen):
        for x, y in zip(kgi + kgo, tgi + tgo):
            np.testing.assert_array_equal(x, y)


# ---- Module full backward hooks ------------------------------------------------------------------


class TwoInputs:
    """A module taking (x, y, scale) that returns (x @ W + y, x.sum()); built for either library."""

    @staticmethod
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(3, 2).double()
                with lib.no_grad():
                    self.lin.weight.copy_(lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], dtype=lib.float64))
                    self.lin.bias.zero_()

            def forward(self, x, y, scale):
                return self.lin(x) * scale + y, x.sum()

        return M()


def run_module_hooks(lib, y_requires_grad, replace):
    m = TwoInputs.make(lib)
    log = []

    def pre(mod, gout):
        log.append(("pre", [np_(g) for g in gout]))
        if replace:
            return (gout[0] * 2, gout[1])
        return None

    def hook(mod, gin, gout):
        log.append(("hook", [np_(g) for g in gin], [np_(g) for g in gout]))
        if replace:
            return (gin[0] + 1,) + tuple(gin[1:])
        return None

    h1 = m.register_full_backward_pre_hook(pre)
    h2 = m.register_full_backward_hook(hook)
    x = lib.tensor([[1.0, 2.0, 3.0]], dtype=lib.float64, requires_grad=True)
    y = lib.tensor([[0.5, -0.5]], dtype=lib.float64, requires_grad=y_requires_grad)
    out, total = m(x, y, 3.0)
    (out * lib.tensor([[1.0, 2.0]], dtype=lib.float64)).sum().add(total * 4).backward()
    grads = (np_(x.grad), np_(y.grad), np_(m.lin.weight.grad))
    h1.remove()
    h2.remove()
    x.grad = None
    out, total = m(x, y, 3.0)
    (out.sum() + total).backward()
    return log, grads, np_(x.grad)


@pytest.mark.parametrize("y_requires_grad", [True, False])
@pytest.mark.parametrize("replace", [False, True])
def test_module_full_backward_hooks_match_torch(y_requires_grad, replace):
    k_log, k_grads, k_after = run_module_hooks(kitty, y_requires_grad, replace)
    t_log, t_grads, t_after = run_module_hooks(torch, y_requires_grad, replace)
    assert [e[0] for e in k_log] == [e[0] for e in t_log] == ["pre", "hook"]
    for k_entry, t_entry in zip(k_log, t_log):
        for k_side, t_side in zip(k_entry[1:], t_entry[1:]):
            assert len(k_side) == len(t_side)
            for a, b in zip(k_side, t_side):
                if b is None:
                    assert a is None  # non-tensor args: None, as torch
                else:
                    np.testing.assert_allclose(a, b)
    for a, b in zip(k_grads, t_grads):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(k_after, t_after)  # removed hooks no longer act


def test_module_hook_fires_at_outputs_when_no_input_requires_grad():
    for lib in (kitty, torch):
        lin = lib.nn.Linear(2, 1)
        seen = []
        lin.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin, np_(gout[0]))))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lin(lib.ones(1, 2)).sum().backward()
        assert seen[0][0] == (None,) and seen[0][1].tolist() == [[1.0]]
        # the warning points at the line that ran backward, as torch's
        assert any("Full backward hook is firing" in str(w.message) and w.filename == __file__ for w in caught)


def test_module_hook_wrong_length_is_an_error():
    m = kitty.nn.Identity()
    m.register_full_backward_hook(lambda mod, gin, gout: (gin[0], gin[0]))
    x = kitty.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, but expected 1"):
        m(x).sum().backward()


def test_module_hooks_in_a_network_and_prepend_order():
    order = []
    net = kitty.nn.Sequential(kitty.nn.Linear(2, 2), kitty.nn.Tanh(), kitty.nn.Linear(2, 1))
    net[0].register_full_backward_hook(lambda *a: order.append("first"))
    net[2].register_full_backward_hook(lambda *a: order.append("last-b"))
    net[2].register_full_backward_hook(lambda *a: order.append("last-a"), prepend=True)
    net(kitty.ones(3, 2, requires_grad=True)).sum().backward()
    assert order == ["last-a", "last-b", "first"]  # backward order; prepend goes first
    assert net[0].weight.grad is not None


def test_module_without_backward_hooks_adds_no_nodes():
    lin = kitty.nn.Linear(2, 2)
    y = lin(kitty.ones(1, 2, requires_grad=True))
    assert "BackwardHook" not in y.grad_fn.name()
    h = lin.register_full_backward_hook(lambda *a: None)
    assert lin(kitty.ones(1, 2, requires_grad=True)).grad_fn.name() == "BackwardHookFunctionBackward"
    h.remove()
    assert "BackwardHook" not in lin(kitty.ones(1, 2, requires_grad=True)).grad_fn.name()


def _guided_relu_grads(lib):
    """Guided backprop as old tutorials write it: register_backward_hook on every ReLU."""
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(4, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3), lib.nn.ReLU())
    seen = []
    for m in net:
        if isinstance(m, lib.nn.ReLU):
            m.register_backward_hook(lambda mod, gin, gout: (seen.append(len(gin)), (lib.clamp(gin[0], min=0.0),))[1])
    x = lib.tensor(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one node per ReLU: no deprecation warning
        net(x).sum().backward()
    return x.grad.numpy(), seen


def test_legacy_module_backward_hook_sees_the_output_nodes_gradients_as_torch():
    ours, seen = _guided_relu_grads(kitty)
    ref, ref_seen = _guided_relu_grads(torch)
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-7)
    assert seen == ref_seen == [1, 1]
    conv = kitty.nn.Conv2d(1, 2, 3)
    got = {}
    conv.register_backward_hook(lambda mod, gin, gout: got.__setitem__("gout", gout[0]))
    with pytest.warns(FutureWarning, match="more than one autograd node"):
        out = conv(kitty.randn(1, 1, 5, 5))
    out.relu().sum().backward()
    assert got["gout"].shape == (1, 2, 3, 3)


def test_legacy_and_full_backward_hooks_do_not_mix():
    for full_first in (True, False):
        m = kitty.nn.Linear(2, 2)
        first, second = ((m.register_full_backward_hook, m.register_backward_hook) if full_first
                         else (m.register_backward_hook, m.register_full_backward_hook))
        first(lambda *a: None)
        with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
            second(lambda *a: None)


def test_node_hook_result_must_be_a_tuple_of_the_right_length():
    """As torch: a Tensor returned by a node hook is an error (taking its rows as the gradients would
    be silently wrong), and so is a tuple of the wrong length."""
    a, b = kitty.ones(2, requires_grad=True), kitty.ones(2, requires_grad=True)
    y = a * b
    y.grad_fn.register_hook(lambda gi, go: gi[0])
    with pytest.raises(TypeError, match="expected tuple, but hook returned 'Tensor'"):
        y.sum().backward()
    y = a * b

    def short(gi, go):
        return (gi[0],)

    y.grad_fn.register_hook(short)
    with pytest.raises(RuntimeError, match=r"hook 'short' has returned an incorrect number of values \(got 1, but expected 2\)"):
        y.sum().backward()


# ---- tensor hooks and retain_grad on views written in place ------------------------------------
# A view whose base (or the view itself) was changed in place gets its grad_fn re-derived when next
# used. torch puts a hook or retain_grad registered after the write on that re-derived node; one
# registered before stays on the old node, which a second derivative reaches through the old value
# the in-place op saved (mul_ reads it).


@pytest.mark.parametrize("write", ["view", "base", "other_view"])
def test_hook_and_retain_grad_on_a_view_after_an_inplace_write_as_torch(write):
    seen = {}
    for lib in (kitty, torch):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = x * 1
        v = y[1:3]
        if write == "view":
            v.mul_(2.0)
        elif write == "base":
            y.mul_(2.0)
        else:
            y[2:].mul_(2.0)
        if lib is torch and write != "view":
            v = y[1:3]  # (torch 2.13 crashes registering a hook on the stale view: take it anew)
        v.register_hook(lambda g: g * 10)
        v.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the seed says when .grad follows a retained value's change)
            (v * v).sum().backward()
        seen[lib.__name__] = (x.grad.tolist(), np_(v.grad).tolist())
    assert seen["kittygrad"] == seen["torch"]


def test_hook_on_a_view_registered_after_a_write_does_not_hold_the_base_back():
    """Registering the hook re-derives nothing (a view nobody uses again would hold a use of the
    base under the seed's locks): a backward from the base alone completes, as in torch."""
    for lib in (kitty, torch):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = x * 1
        v = y[1:3]
        v.mul_(2.0)
        v.register_hook(lambda g: g * 10)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y.sum().backward()
        assert x.grad.tolist() == [1.0, 2.0, 2.0, 1.0]


@pytest.mark.parametrize("view", ["slice", "step", "view", "diagonal"])
@pytest.mark.parametrize("hook_on", ["view", "base"])
def test_hook_before_an_inplace_write_through_a_view_in_a_second_derivative_as_torch(view, hook_on):
    x0 = np.array([0.5, -1.2, 2.0, 0.7, 1.5, -0.3])
    seen = {}
    for lib in (kitty, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = x * x
        if hook_on == "base":
            y.register_hook(lambda g: g * 3)
        v = {"slice": lambda: y[1:4], "step": lambda: y[::2], "view": lambda: y.view(2, 3)[0],
             "diagonal": lambda: y.view(2, 3).diagonal()}[view]()
        if hook_on == "view":
            v.register_hook(lambda g: g * 3)
        v.mul_(x[: v.shape[0]] + 1)
        (g,) = lib.autograd.grad((y ** 2).sum() + (v ** 3).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(np.linspace(0.1, 1, 6))).sum(), x)
        seen[lib.__name__] = (np_(g), np_(h))
    for a, b in zip(seen["kittygrad"], seen["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_second_derivative_through_a_view_write_leaves_no_use_waiting():
    """The old view's hooks move to the rebuilt old value; the old node itself is not kept, so the
    seed's locks release its use of the base and a later plain backward completes."""
    x = kitty.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * x
    v = y[1:3]
    v.register_hook(lambda g: g * 10)
    v.add_(x[:2] ** 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (y ** 2).sum().backward(create_graph=True)
        g, x.grad = x.grad, None
        g.sum().backward()
    ref = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    yr = ref * ref
    vr = yr[1:3]
    vr.register_hook(lambda g: g * 10)
    vr.add_(ref[:2] ** 2)
    (gr,) = torch.autograd.grad((yr ** 2).sum(), ref, create_graph=True)
    (hr,) = torch.autograd.grad(gr.sum(), ref)
    np.testing.assert_allclose(np_(g), np_(gr))
    np.testing.assert_allclose(np_(x.grad), np_(hr))


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kitty"])
def test_module_hook_handles_are_removable_handles(lib):
    lin = lib.nn.Linear(2, 2)
    handles = [
        lin.register_forward_hook(lambda *a: None, with_kwargs=True),
        lin.register_forward_pre_hook(lambda *a: None),
        lin.register_full_backward_hook(lambda *a: None),
        lib.nn.modules.module.register_module_forward_hook(lambda *a: None, always_call=True),
    ]
    try:
        assert [type(h).__name__ for h in handles] == ["RemovableHandle"] * 4
        assert all(isinstance(h, lib.utils.hooks.RemovableHandle) for h in handles)
    finally:
        for h in handles:
            h.remove()
    assert not lin._forward_hooks and not lin._forward_pre_hooks and not lin._backward_hooks


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 4, 3)])
def test_a_linear_layers_leaf_hooks_fire_in_torchs_order(shape, bias):
    # scripts print gradient norms from hooks on each parameter: torch's linear is addmm(bias,
    # input, weight.t()), so the bias's hook fires before the weight's
    orders = []
    for lib in (kitty, torch):
        order = []
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 2, bias=bias)
        for name, p in lin.named_parameters():
            p.register_hook(lambda g, name=name: order.append(name))
        x = lib.randn(*shape, requires_grad=True)
        x.register_hook(lambda g: order.append("input"))
        with kitty.autograd.backward_semantics("torch"):
            lin(x).sum().backward()
        orders.append(order)
    assert orders[0] == orders[1]


@pytest.mark.parametrize("mode, kwargs", [
    ("LSTM", {"num_layers": 2, "bidirectional": True}), ("LSTM", {"dtype": "float64"}), ("LSTM", {"proj_size": 2}),
    ("GRU", {"num_layers": 2, "bidirectional": True}), ("GRU", {"bias": False}), ("RNN", {"num_layers": 2}),
    ("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {"bias": False}),
])
def test_a_recurrent_layers_leaf_hooks_fire_in_torchs_order(mode, kwargs):
    # torch reaches the last layer's weights first, and within a layer in the order its graph of
    # the layer hands them out (the fused float32 LSTM's differs from the step-by-step ops'; a
    # cell's is two linears)
    orders = []
    for lib in (kitty, torch):
        order = []
        lib.manual_seed(0)
        options = {**kwargs, "dtype": getattr(lib, kwargs.get("dtype", "float32"))}
        if "Cell" not in mode:
            options["batch_first"] = True
        rnn = getattr(lib.nn, mode)(2, 3, **options)
        for name, p in rnn.named_parameters():
            p.register_hook(lambda g, name=name: order.append(name))
        with kitty.autograd.backward_semantics("torch"):
            out = rnn(lib.randn(1, 4, 2, dtype=options["dtype"]) if "Cell" not in mode else lib.randn(4, 2))
            (out[0] if isinstance(out, tuple) else out).sum().backward()
        orders.append(order)
    assert orders[0] == orders[1]


@pytest.mark.parametrize("make, inputs", [
    (lambda lib: lib.nn.Bilinear(3, 3, 2), [(2, 3), (2, 3)]),
    (lambda lib: lib.nn.InstanceNorm2d(3, affine=True), [(2, 3, 4, 4)]),
    (lambda lib: lib.nn.InstanceNorm1d(3, affine=True, track_running_stats=True).eval(), [(2, 3, 5)]),
])
def test_bias_first_layers_leaf_hooks_fire_in_torchs_order(make, inputs):
    # torch's bilinear adds its bias after the product, its instance norm repeats the bias after
    # the weight: both reach the bias's leaf first
    orders = []
    for lib in (kitty, torch):
        order = []
        lib.manual_seed(0)
        module = make(lib)
        for name, p in module.named_parameters():
            p.register_hook(lambda g, name=name: order.append(name))
        xs = [lib.randn(*shape, requires_grad=True) for shape in inputs]
        for i, x in enumerate(xs):
            x.register_hook(lambda g, i=i: order.append(f"input{i}"))
        with kitty.autograd.backward_semantics("torch"):
            module(*xs).pow(2).sum().backward()
        orders.append(order)
    assert orders[0] == orders[1]
