"""kittygrad sets glibc's malloc thresholds at import, so arrays made and freed every step come
from the heap instead of fresh, page-faulting mmaps (kittygrad._allocator)."""
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt"
)

# a training step's traffic: 5 MB arrays (a convolution's patch matrix) made, written and freed
_STEPS = """
import resource, sys
import numpy as np
import kittygrad
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(40):
    a = np.ones((1280, 1024), np.float32)
    b = a * 2.0
    del a, b
print(kittygrad._allocator.TUNED, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _run(**env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    full_env.pop("KITTYGRAD_TUNE_MALLOC", None)
    full_env.update(env)
    out = subprocess.run([sys.executable, "-c", _STEPS], capture_output=True, text=True, env=full_env, check=True)
    tuned, faults = out.stdout.split()
    return tuned == "True", int(faults)


def test_arrays_made_every_step_stop_faulting_in_new_pages():
    tuned, faults = _run()
    untuned, untuned_faults = _run(KITTYGRAD_TUNE_MALLOC="0")
    pages_per_step = 2 * 5 * 1024 * 1024 // 4096  # two 5 MB arrays
    assert tuned and not untuned
    assert faults < pages_per_step  # (768 here) the heap serves the same pages step after step
    assert untuned_faults > 10 * pages_per_step  # (~40,000 here) glibc's defaults: new pages again and again


def test_a_users_own_malloc_settings_are_left_alone():
    tuned, _ = _run(MALLOC_TRIM_THRESHOLD_="1000000")
    assert not tuned


# a step that frees its activations together at the end: 36 arrays of 3 MB (108 MB) live at once
_LARGE_STEP = """
import resource
import numpy as np
import kittygrad
for step in range(6):
    if step == 2:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    live = [np.ones((768, 1024), np.float32) for _ in range(36)]
    del live
print(kittygrad._allocator.TUNED, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 4)
"""


def test_a_step_that_frees_over_64_mib_at_once_keeps_its_pages():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    env.pop("KITTYGRAD_TUNE_MALLOC", None)
    run = subprocess.run([sys.executable, "-c", _LARGE_STEP], capture_output=True, text=True, env=env, check=True)
    tuned, faults_per_step = run.stdout.split()
    assert tuned == "True"
    # (with the trim threshold at 64 MiB glibc handed the 108 MB back and faulted in ~27,000 pages a step)
    assert int(faults_per_step) < 1000
