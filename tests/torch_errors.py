"""The check many test files make: kittygrad raises what torch raises for the same bad call."""
from __future__ import annotations

import pytest


def raised_as_torch(torch_call, kitty_call) -> tuple[str, str]:
    """Call ``torch_call()``, which must raise, then ``kitty_call()``, which must raise the same
    exception type; the two messages, kittygrad's first (callers compare them, some after
    normalising a library name)."""
    with pytest.raises(Exception) as theirs:
        torch_call()
    with pytest.raises(type(theirs.value)) as ours:
        kitty_call()
    return str(ours.value), str(theirs.value)
