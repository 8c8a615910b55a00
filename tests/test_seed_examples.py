"""The seed README's examples print exactly what the seed says."""
import subprocess
import sys
from pathlib import Path

import kittygrad as kitty

ROOT = Path(__file__).resolve().parents[1]


def test_gradients_example_prints_as_the_seed():
    a = kitty.tensor([1, 2, 3], requires_grad=True)
    b = a.std()
    b.retain_grad()
    c = b * kitty.dot(a, a)
    assert repr(c) == "tensor(14., grad_fn=<MulBackward>)"
    c.backward()
    assert repr(a.grad) == "tensor([-5.,  4., 13.])"
    assert repr(b.grad) == "tensor(14.)"


def test_seed_examples_script_runs():
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "seed_examples.py"), "--no-view"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "tensor(14., grad_fn=<MulBackward>)" in out
    assert "tensor([-5.,  4., 13.])" in out
    assert "tensor(14.)" in out
