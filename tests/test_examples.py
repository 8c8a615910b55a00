"""Every example runs in a reduced mode and asserts that it learned something."""
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

SMOKE = {
    "linear_regression.py": ["--smoke"],
    "custom_function.py": ["--smoke"],
}


@pytest.mark.parametrize("script", sorted(SMOKE))
def test_example_runs(script, tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *SMOKE[script]],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
