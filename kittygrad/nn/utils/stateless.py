"""``torch.nn.utils.stateless.functional_call``: torch's deprecated spelling of
:func:`kittygrad.func.functional_call` (warns, then calls it).

>>> import kittygrad as kitty, warnings
>>> from kittygrad.nn.utils.stateless import functional_call
>>> lin = kitty.nn.Linear(2, 1, bias=False)
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     functional_call(lin, {"weight": kitty.ones(1, 2)}, (kitty.ones(1, 2),))
tensor([[2.]])
"""
from __future__ import annotations

import warnings

from ...func import functional_call as _functional_call

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """Run ``module`` with ``parameters_and_buffers`` in place of its own (deprecated: use
    ``kittygrad.func.functional_call``)."""
    warnings.warn("kittygrad.nn.utils.stateless.functional_call is deprecated; use kittygrad.func.functional_call "
                  "instead (same arguments)", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
