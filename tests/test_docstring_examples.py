"""Every docstring example in the package runs and prints what it shows.

The examples are the first code a reader copies, so they are tests too. They run in a separate
process: some change global state on purpose (default dtype, seeds, backward semantics), which
must not leak into the rest of the suite.
"""
import os
import subprocess
import sys
from pathlib import Path

import kittygrad

PACKAGE = Path(kittygrad.__file__).parent


def test_every_docstring_example_runs_as_shown():
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
        "--doctest-modules", "--import-mode=importlib", str(PACKAGE),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=PACKAGE.parent)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
