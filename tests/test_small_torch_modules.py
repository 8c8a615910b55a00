"""Small torch modules scripts import: ``torch.fft``'s real helpers, ``torch.signal.windows``,
``torch.nn.modules.utils``, ``torch.nn.attention``, ``torch.hub``, ``torch.utils._pytree`` and the
type-alias modules; checked against torch where both compute."""

from __future__ import annotations

import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch

import kittygrad as kitty


def _same(a, b, atol=1e-6):
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol)


def _under_torch_and_the_runner(script) -> list:
    """The completed processes of the script ``script`` run under torch, then under ``kittygrad.run``."""
    return [subprocess.run(cmd + [str(script)], capture_output=True, text=True) for cmd in
            ([sys.executable], [sys.executable, "-m", "kittygrad.run"])]


@pytest.mark.parametrize("n", [0, 1, 4, 5, 8])
@pytest.mark.parametrize("d", [1.0, 0.25])
def test_fft_frequencies(n, d):
    _same(torch.fft.fftfreq(n, d), kitty.fft.fftfreq(n, d))
    _same(torch.fft.rfftfreq(n, d), kitty.fft.rfftfreq(n, d))
    _same(torch.fft.fftfreq(n, d, dtype=torch.float64), kitty.fft.fftfreq(n, d, dtype=kitty.float64))


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
def test_fftshift_and_its_inverse(dim):
    data = np.arange(15.0, dtype=np.float32).reshape(3, 5)
    t, k = torch.tensor(data, requires_grad=True), kitty.tensor(data, requires_grad=True)
    _same(torch.fft.fftshift(t, dim=dim), kitty.fft.fftshift(k, dim=dim))
    _same(torch.fft.ifftshift(t, dim=dim), kitty.fft.ifftshift(k, dim=dim))
    (torch.fft.fftshift(t, dim=dim) * torch.arange(15.0).reshape(3, 5)).sum().backward()
    (kitty.fft.fftshift(k, dim=dim) * kitty.arange(15.0).reshape(3, 5)).sum().backward()
    _same(t.grad, k.grad)


def test_complex_transforms_are_refused_with_the_numpy_route():
    with pytest.raises(RuntimeError, match="numpy.fft.rfft"):
        kitty.fft.rfft(kitty.ones(4))


@pytest.mark.parametrize("name", torch.signal.windows.__all__)
@pytest.mark.parametrize("M", [0, 1, 2, 7, 8])
@pytest.mark.parametrize("sym", [True, False])
def test_signal_windows(name, M, sym):
    options = {"a": [0.4, 0.35, 0.25]} if name == "general_cosine" else {}
    options.update({"exponential": {"tau": 2.0}, "gaussian": {"std": 0.7}, "kaiser": {"beta": 3.0},
                    "general_hamming": {"alpha": 0.6}}.get(name, {}))
    _same(getattr(torch.signal.windows, name)(M, sym=sym, **options),
          getattr(kitty.signal.windows, name)(M, sym=sym, **options), atol=1e-6)


@pytest.mark.parametrize("code", ["hann(-1)", "gaussian(4, std=0)", "exponential(4, center=1.0)",
                                  "hann(4, dtype=lib.int64)", "general_cosine(4, a=[])"])
def test_signal_window_errors(code):
    for lib in (torch, kitty):
        with pytest.raises(ValueError):
            eval("lib.signal.windows." + code, {"lib": lib})


def test_layer_argument_helpers():
    from torch.nn.modules import utils as theirs

    from kittygrad.nn.modules import utils as ours
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for value in (3, (1, 2), [4, 5, 6], "ab"):
            assert getattr(ours, name)(value) == getattr(theirs, name)(value)
    assert ours._reverse_repeat_tuple((1, 2, 3), 2) == theirs._reverse_repeat_tuple((1, 2, 3), 2)
    assert ours._list_with_default([None, 3], [8, 5, 7]) == theirs._list_with_default([None, 3], [8, 5, 7])
    with pytest.raises(ValueError, match="at least 3"):
        ours._list_with_default([None, 3], [7])
    for lib, module in ((torch, theirs), (kitty, ours)):
        sd = lib.nn.Sequential(lib.nn.Linear(2, 2)).state_dict()
        wrapped = OrderedDict(("module." + k, v) for k, v in sd.items())
        wrapped["extra"] = 1
        wrapped._metadata = OrderedDict([("module", {}), ("module.0", {})])
        module.consume_prefix_in_state_dict_if_present(wrapped, "module.")
        assert list(wrapped) == ["extra", "0.weight", "0.bias"] and list(wrapped._metadata) == ["", "0"]


def test_sdpa_kernel_is_a_checked_no_op():
    from kittygrad.nn.attention import SDPBackend, sdpa_kernel
    q = kitty.randn(1, 3, 4)
    plain = kitty.nn.functional.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]):
        assert kitty.equal(kitty.nn.functional.scaled_dot_product_attention(q, q, q), plain)
    assert int(SDPBackend.MATH) == int(torch.nn.attention.SDPBackend.MATH)
    with pytest.raises(TypeError):
        with sdpa_kernel(["math"]):
            pass


def test_pytree_helpers_match_torch():
    from torch.utils import _pytree as theirs

    from kittygrad.utils import _pytree as ours
    tree = {"a": [1, (2, 3)], "b": 4}
    assert ours.tree_leaves(tree) == theirs.tree_leaves(tree)
    assert ours.tree_map(lambda v: v + 1, tree) == theirs.tree_map(lambda v: v + 1, tree)
    assert ours.tree_unflatten([5, 6, 7, 8], ours.tree_structure(tree)) == {"a": [5, (6, 7)], "b": 8}


def test_hub_cache_and_loading_a_checkpoint_by_url(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    assert kitty.hub.get_dir() == torch.hub.get_dir() == str(tmp_path / "home" / "hub")
    model = torch.nn.Linear(3, 2)
    source = tmp_path / "linear-0123.pth"
    torch.save(model.state_dict(), source)
    state = kitty.hub.load_state_dict_from_url(source.as_uri(), model_dir=str(tmp_path / "cache"))
    assert (tmp_path / "cache" / "linear-0123.pth").exists()
    _same(model.weight, state["weight"])
    with pytest.raises(RuntimeError, match="invalid hash value"):
        kitty.hub.load_state_dict_from_url(source.as_uri(), model_dir=str(tmp_path / "other"), check_hash=True)
    with pytest.raises(RuntimeError, match="never runs downloaded code"):
        kitty.hub.load("pytorch/vision", "resnet18")


def test_the_runner_serves_these_modules(tmp_path):
    script = ("import torch.fft, torch.hub, torch.types, torch.signal.windows, torch.nn.attention, "
              "torch.nn.common_types, torch.nn.modules.utils, torch.utils.hooks, torch.utils.dlpack, "
              "torch.utils._pytree, torch.utils.model_zoo, torch.backends.opt_einsum, torch.nn.utils.stateless\n"
              "from torch.nn.common_types import _size_2_t\nfrom torch.types import Number, Device\n"
              "print(torch.fft.fftfreq(4).tolist(), torch.backends.opt_einsum.is_available() in (True, False))")
    (tmp_path / "imports.py").write_text(script)
    out = subprocess.run([sys.executable, "-m", "kittygrad.run", str(tmp_path / "imports.py")], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0.0, 0.25, -0.5, -0.25] True"


def test_xpu_answers_as_a_build_without_it_and_assert_allclose_warns():
    for lib in (torch, kitty):
        assert lib.xpu.is_available() is False and lib.xpu.device_count() == 0
        lib.xpu.manual_seed(0)
        with pytest.warns(FutureWarning, match="assert_allclose"):
            lib.testing.assert_allclose(lib.ones(2), lib.ones(2))


def test_custom_convolutions_subclass_torch_s_base_with_its_arguments(tmp_path):
    script = (
        "import torch\nimport torch.nn.functional as F\nfrom torch.nn.modules.conv import _ConvNd\n"
        "from torch.nn.modules.utils import _pair\n"
        "class StdConv2d(_ConvNd):\n"
        "    def __init__(self, cin, cout, k, padding=0):\n"
        "        super().__init__(cin, cout, _pair(k), _pair(1), _pair(padding), _pair(1), False, _pair(0), 1, True,"
        " 'zeros', None, None)\n"
        "    def forward(self, x):\n"
        "        w = (self.weight - self.weight.mean(dim=(1, 2, 3), keepdim=True))\n"
        "        return F.conv2d(x, w, self.bias, self.stride, self.padding)\n"
        "torch.manual_seed(0)\nm = StdConv2d(2, 3, 3, padding=1)\nprint(m)\n"
        "print(f'{m(torch.randn(1, 2, 5, 5)).sum().item():.4f}', [n for n, _ in m.named_parameters()])\n"
    )
    path = tmp_path / "stdconv.py"
    path.write_text(script)
    outs = _under_torch_and_the_runner(path)
    assert outs[1].returncode == 0, outs[1].stderr
    assert outs[1].stdout == outs[0].stdout


def test_the_runner_reports_the_scripts_misses_not_a_librarys_probes(tmp_path):
    """matplotlib asks a tensor it plots for ``values``, ``index`` and ``to_numpy`` (hasattr, as it
    asks any sequence): torch's tensor lacks them too, so they are not misses of kittygrad's. A
    name the script itself asks for still is."""
    script = ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nimport torch\n"
              "fig, ax = plt.subplots()\nax.plot(torch.arange(3.0))\nplt.close(fig)\n"
              "print(hasattr(torch.ones(1), 'no_such_name'))\n")
    (tmp_path / "plot.py").write_text(script)
    out = subprocess.run([sys.executable, "-m", "kittygrad.run", str(tmp_path / "plot.py")], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert "asked for 1 torch name(s) kittygrad lacks:\n  torch.Tensor.no_such_name  (plot.py:8)" in out.stderr


def test_under_the_runner_classes_print_torchs_module_paths(tmp_path):
    """``print(type(layer))`` is a tutorial staple: kittygrad's classes read as their torch twins',
    pickling one still finds it, and vmap (whose rules look up kittygrad's op classes) still works."""
    script = (
        "import pickle, torch, torch.nn as nn\nfrom torch.func import vmap\n"
        "m = nn.Sequential(nn.Linear(2, 3), nn.Flatten(), nn.ReLU())\n"
        "print(type(m), type(pickle.loads(pickle.dumps(m))[1]), type(m[0].weight))\n"
        "opt = torch.optim.Adam(m.parameters())\n"
        "print(type(opt), type(torch.optim.lr_scheduler.StepLR(opt, 2)), type(m.register_forward_hook(print)))\n"
        "print(type(torch.distributions.Normal(0., 1.)), type(torch.utils.data.DataLoader(range(3))), torch.no_grad)\n"
        "print(type(torch.float32), type(torch.ones(2).shape), type(torch.finfo()), type(torch.device('cpu')))\n"
        "r = torch.tensor([3., 1.]).sort()\n"
        "print(type(r), isinstance(r, torch.return_types.sort), type(pickle.loads(pickle.dumps(r))))\n"
        "print(vmap(torch.dot)(torch.ones(3, 2), torch.ones(3, 2)))\n"
    )
    path = tmp_path / "types.py"
    path.write_text(script)
    outs = _under_torch_and_the_runner(path)
    assert outs[1].returncode == 0, outs[1].stderr
    assert "<class 'torch.nn.modules.flatten.Flatten'>" in outs[0].stdout
    assert outs[1].stdout == outs[0].stdout


def test_under_the_runner_submodules_reached_as_attributes_are_torchs(tmp_path):
    """``torch.optim.SGD`` with no ``import torch.optim`` first: the submodule reads as torch's, and a
    name it lacks is a miss the runner names (not an error about kittygrad.optim)."""
    script = ("import torch\nprint(torch.optim.__name__, torch.nn.functional.__name__)\n"
              "print(hasattr(torch.optim, 'NoSuchOptimizer'))\n")
    (tmp_path / "attrs.py").write_text(script)
    out = subprocess.run([sys.executable, "-m", "kittygrad.run", str(tmp_path / "attrs.py")], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["torch.optim", "torch.nn.functional", "False"]
    assert "torch.optim.NoSuchOptimizer  (attrs.py:3)" in out.stderr


def test_under_the_runner_nodes_answer_type_with_torchs_names(tmp_path):
    """torchviz-style graph walks label nodes by ``type(fn).__name__``: under the runner a node read
    through ``grad_fn`` or ``next_functions`` is of a class named as torch names it."""
    script = ("import torch\nw = torch.randn(3, 4, requires_grad=True)\n"
              "y = (w.t() * 2).sum(0)\n"
              "print(type(y.grad_fn).__name__, [type(n).__name__ for n, _ in y.grad_fn.next_functions])\n"
              "print(type((w + 1).grad_fn).__name__, type(torch.nn.functional.mse_loss(w, w.detach()).grad_fn).__name__)\n"
              "y.backward(torch.ones(3))\nprint(w.grad.sum().item())\n")
    path = tmp_path / "types.py"
    path.write_text(script)
    outs = _under_torch_and_the_runner(path)
    assert outs[1].returncode == 0, outs[1].stderr
    assert outs[1].stdout == outs[0].stdout
