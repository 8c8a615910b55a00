"""How much Hypothesis explores: the CI budget by default, a larger one with fresh seeds under
``make test-random``.

The profiles themselves are registered in ``conftest.py`` ("ci": derandomized, so every machine
draws the same examples; "random": fresh seeds, the seed printed by ``make test-random``).
Property tests take their example counts through :func:`examples`, so the random run can scale
them with ``KITTYGRAD_HYPOTHESIS_SCALE`` without editing each test.
"""
from __future__ import annotations

import os

SCALE = float(os.environ.get("KITTYGRAD_HYPOTHESIS_SCALE", "1"))


def examples(n: int) -> int:
    """The number of examples a test runs: ``n`` in CI, ``n * KITTYGRAD_HYPOTHESIS_SCALE`` otherwise.

    >>> examples(8)  # with the default scale of 1
    8
    """
    return max(1, round(n * SCALE))
