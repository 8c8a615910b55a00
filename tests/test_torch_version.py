"""``__version__`` compares as a version (``torch.torch_version.TorchVersion``), checked against torch.

Scripts gate code paths on ``torch.__version__ >= "1.10"`` or ``> (1, 9)``: as a plain string the
first compares characters ("2.13.0" < "2.9") and the second raises TypeError.
"""
from __future__ import annotations

import itertools
import operator
import subprocess
import sys

import pytest
from torch.torch_version import TorchVersion as TorchsVersion

import kittygrad as kitty
from kittygrad.torch_version import TorchVersion

VERSIONS = [
    "2.13.0+cpu", "2.13.0", "2.13", "2.9", "1.10", "2.13.0.post1", "2.13.0-1", "2.13.0.post", "2.13.0a0",
    "2.13.0rc1", "2.13.0a1.dev2", "2.13.0.dev1", "2.14.0.dev20250101", "2.13.0+cu118", "2.13.0+cpu.1",
    "1!1.0", "abc",
]
OPS = (operator.lt, operator.le, operator.eq, operator.ne, operator.gt, operator.ge)


def _outcome(fn):
    try:
        return fn()
    except TypeError as e:
        return ("TypeError", str(e).replace("TorchVersion", "<cls>"))


@pytest.mark.parametrize("mine", VERSIONS)
def test_comparisons_to_strings_tuples_and_others_are_torchs(mine):
    others = [*VERSIONS, (2, 12), (2, 13, 0), [2, 14], (1, 9), 3, None]
    for other, op in itertools.product(others, OPS):
        got = _outcome(lambda: op(TorchVersion(mine), other))
        want = _outcome(lambda: op(TorchsVersion(mine), other))
        assert got == want, (mine, op.__name__, other)


def test_it_stays_a_str():
    v = TorchVersion("2.13.0+cpu")
    assert isinstance(v, str) and str(v) == "2.13.0+cpu" and hash(v) == hash("2.13.0+cpu")
    assert v.split("+")[0] == "2.13.0" and {v: 1}["2.13.0+cpu"] == 1
    assert isinstance(kitty.__version__, TorchVersion) and kitty.__version__ == kitty.version.__version__


def test_under_the_runner_torch_version_compares_as_a_version(tmp_path):
    script = tmp_path / "v.py"
    script.write_text(
        "import torch\nimport torch.torch_version as tv\n"
        "print(torch.__version__ >= '2.9', torch.__version__ > (1, 9), type(torch.__version__).__name__,"
        " type(torch.version.__version__).__name__, tv.__version__ == torch.__version__)\n"
    )
    run = subprocess.run([sys.executable, "-m", "kittygrad.run", str(script)], capture_output=True, text=True)
    assert run.stdout.split() == ["True", "True", "TorchVersion", "str", "True"], run.stderr
