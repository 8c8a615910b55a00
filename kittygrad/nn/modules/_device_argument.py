"""The ``device=`` argument of the layers' constructors (``nn.Linear(4, 2, device=...)``).

The layers build their parameters with the factories' default device, so without this a
``device=`` was accepted and dropped: ``device="meta"`` gave a CPU layer with drawn values (and
took those draws from the default generator, shifting every later random number against torch),
and ``device="cuda"`` ran on the CPU where the factories refuse it. Each constructor taking a
``device`` is wrapped once, here: a CPU device builds as before, an unavailable one raises the
factories' error, and ``"meta"`` builds the layer on the CPU with the generator's state put back
(torch's meta initialisation draws nothing) and turns it into the ``.to("meta")`` skeleton.
"""
from __future__ import annotations

import functools
import inspect

from ...device import check_device, check_device_type
from ...random import fork_rng


def honour_device(cls) -> None:
    """Wrap ``cls.__init__`` (its own, when it takes ``device``) so the argument takes effect.

    The wrapped constructor hands ``device=None`` on, so a layer that builds others (a Transformer
    its encoder layers) or calls a wrapped base class converts once, at the outermost call.

    >>> import kittygrad as kitty
    >>> kitty.nn.Linear(3, 2, device="meta").weight.is_meta
    True
    """
    init = cls.__dict__.get("__init__")
    if init is None or getattr(init, "_honours_device", False):
        return
    signature = inspect.signature(init)
    if "device" not in signature.parameters:
        return

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        device = bound.arguments.get("device")
        if device is None:
            return init(self, *args, **kwargs)
        bound.arguments["device"] = None
        if isinstance(device, int) or check_device_type(device).type != "meta":
            check_device(device, cls.__name__)  # the CPU passes; another device raises as the factories
            return init(*bound.args, **bound.kwargs)
        with fork_rng():
            init(*bound.args, **bound.kwargs)
        self.to("meta")
        return None

    __init__._honours_device = True
    cls.__init__ = __init__


def honour_device_everywhere(base) -> None:
    """``honour_device`` on every kittygrad subclass of ``base`` defined so far (not users' own)."""
    pending = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("kittygrad."):
            honour_device(cls)
