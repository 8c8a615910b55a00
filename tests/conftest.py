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
