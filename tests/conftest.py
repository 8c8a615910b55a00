import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "ops"))  # the op table's families

# One BLAS thread: the tests' matrices are small, and on a busy machine waiting for a second
# BLAS thread can cost far more than it saves. Subprocesses (examples) inherit the variables.
# A thread count the caller set (CI's second numerical configuration runs OpenBLAS with two
# threads and another kernel family) is kept: it is what that run is there to test.
_threads_chosen = "OPENBLAS_NUM_THREADS" in os.environ
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if not _threads_chosen:
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass

# Hypothesis: fixed seeds unless asked otherwise, so a run on any machine draws the same examples
# and a failure in CI is a failure of the code, not of the draw. `make test-random` selects the
# "random" profile with a seed it prints (`--hypothesis-seed`), and a failure also prints the
# `@reproduce_failure` blob.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
_hypothesis_settings.register_profile("random", derandomize=False, database=None, print_blob=True)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---- the hardening suite's figures (tests/hardening/_figures.py) --------------------------------
# Printed at the end of the run. Under pytest-xdist the figures are measured in the workers, so
# each worker hands its own to the main process, which prints them all.
import pytest  # noqa: E402
from hardening._figures import COUNTED, FIGURES, merge  # noqa: E402


def pytest_sessionfinish(session):
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # in an xdist worker
        worker_output["kittygrad_figures"] = dict(FIGURES)
        worker_output["kittygrad_counted"] = sorted(COUNTED)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):  # (xdist's hook, in the main process: a worker has finished)
    output = getattr(node, "workeroutput", {})
    merge(output.get("kittygrad_figures", {}), output.get("kittygrad_counted", []))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not FIGURES:
        return
    terminalreporter.section("kittygrad hardening figures")
    width = max(len(k) for k in FIGURES)
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name:<{width}}  {value}")
