import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

# One BLAS thread: the tests' matrices are small, and on a busy machine waiting for a second
# BLAS thread can cost far more than it saves. Subprocesses (examples) inherit the variables.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
try:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    pass
