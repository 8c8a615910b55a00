"""Anomaly detection, as ``torch.autograd.detect_anomaly`` / ``set_detect_anomaly``.

While the mode is on, every operation that records a backward node stores the Python traceback
of its forward call in ``node.metadata["traceback_"]`` (torch's key); the engine then calls
:func:`check_backward_result` after each node's backward, which raises when a gradient contains
NaN, naming the node and showing where its forward ran.

Off by default and free when off: the traceback recorder is an entry of
``function.observers`` only while the mode is on, and the engine reads one attribute
(``_anomaly.enabled``). The mode is global (all threads), as in torch.
"""
from __future__ import annotations

import functools
import os
import threading
import traceback
import warnings
from typing import Any

from .. import backend as B
from ..errors import KittyRuntimeError
from . import function as _function
from .engine import _anomaly  # read by the engine on every backward: one lookup when off

__all__ = [
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "set_anomaly_enabled",
    "check_backward_result",
]

_lock = threading.Lock()  # the observer list is shared by all threads

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_EXAMPLES_DIR = _PACKAGE_DIR + "examples" + os.sep


def _user_frame(filename: str) -> bool:
    # kittygrad's own frames say nothing about the user's code (its examples are user code)
    path = os.path.abspath(filename)
    return not path.startswith(_PACKAGE_DIR) or path.startswith(_EXAMPLES_DIR)


def _forward_traceback() -> list[str]:
    frames = [f for f in traceback.extract_stack() if _user_frame(f.filename)]
    return traceback.format_list(frames)


def _record_traceback(kind, name, node, inputs, outputs) -> None:
    """Observer: remember where the forward of ``node`` ran."""
    if node is not None:
        node.metadata["traceback_"] = _forward_traceback()


def set_anomaly_enabled(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off (``torch.set_anomaly_enabled``).

    >>> set_anomaly_enabled(True); is_anomaly_enabled()
    True
    >>> set_anomaly_enabled(False); is_anomaly_enabled()
    False
    """
    with _lock:
        _anomaly.enabled = bool(mode)
        _anomaly.check_nan = bool(check_nan)
        observers = _function.observers
        if mode:
            if _record_traceback not in observers:
                observers.append(_record_traceback)
        elif _record_traceback in observers:
            observers.remove(_record_traceback)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (``torch.is_anomaly_enabled``).

    >>> is_anomaly_enabled()
    False
    """
    return _anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks backward results for NaN (``torch.is_anomaly_check_nan_enabled``).

    >>> is_anomaly_check_nan_enabled()
    True
    """
    return _anomaly.check_nan


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager (and decorator) that turns anomaly detection on.

    - the forward pass records, for each backward node, the traceback of the call that made it;
    - with ``check_nan=True``, a backward that produces NaN warns with that traceback, then raises
      a ``RuntimeError`` naming the node (torch's message).

    >>> import kittygrad as kitty
    >>> x = kitty.tensor([0.], requires_grad=True)
    >>> try:  # doctest: +SKIP
    ...     with detect_anomaly():
    ...         (kitty.sqrt(x) * 0).sum().backward()
    ... except RuntimeError as err:
    ...     print(str(err).splitlines()[0])
    Function 'SqrtBackward' returned nan values in its 0th output.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn(
            "Anomaly Detection has been enabled. "
            "This mode will increase the runtime "
            "and should only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def __call__(self, fn):
        """Use as a decorator: ``@detect_anomaly()`` runs the function with the mode on."""

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)

        return wrapper

    def _fresh(self) -> detect_anomaly:
        # a decorated function may be called with the mode in any state: restore *that* state
        clone = object.__new__(detect_anomaly)
        clone.check_nan = self.check_nan
        clone.prev = is_anomaly_enabled()
        clone.prev_check_nan = is_anomaly_check_nan_enabled()
        return clone


class set_detect_anomaly:  # noqa: N801 - torch's name
    """Set anomaly detection on or off; works as a plain call or as a context manager.

    >>> with set_detect_anomaly(True):
    ...     is_anomaly_enabled()
    True
    >>> is_anomaly_enabled()
    False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


def _node_name(node) -> str:
    name = getattr(node, "name", None)
    return name() if callable(name) else type(node).__name__


def _forward_info(node) -> str:
    tb = node.__dict__.get("_metadata", {}).get("traceback_") if hasattr(node, "__dict__") else None
    if not tb:
        return "No forward pass information available. Enable detect anomaly during forward pass for more information."
    return "Traceback of forward call that caused the error:\n" + "".join(tb)


def warn_backward_error(node) -> None:
    """Emit torch's anomaly warning for an error raised in ``node``'s backward (for the engine).

    >>> warn_backward_error(object())  # doctest: +SKIP
    """
    warnings.warn(f"Error detected in {_node_name(node)}. {_forward_info(node)}", stacklevel=2)


def _as_array(g):
    if B.is_array(g):
        return g
    if hasattr(g, "t") and hasattr(g.t, "_data"):  # a GraphArray (create_graph backward)
        return g.t._data
    data = getattr(g, "_data", None)  # a kittygrad Tensor (create_graph backward)
    if data is None:
        data = getattr(g, "data", None)
    return data if B.is_array(data) else B.asarray(data if data is not None else g)


def check_backward_result(node, input_grads: Any) -> None:
    """Raise if ``node``'s backward produced NaN; the engine calls this when anomaly mode is on.

    ``input_grads`` is what the backward returned: one gradient (NumPy array, Tensor, or None)
    per forward input.

    >>> import kittygrad as kitty
    >>> x = kitty.tensor([1.], requires_grad=True)
    >>> check_backward_result((x * 2).grad_fn, (kitty.tensor([1.]).numpy(), None))
    """
    if not _anomaly.check_nan:
        return
    if not isinstance(input_grads, (tuple, list)):
        input_grads = (input_grads,)
    for i, g in enumerate(input_grads):
        if g is None:
            continue
        arr = _as_array(g)
        if arr.dtype.kind in "fc" and B.xp.isnan(arr).any():
            name = _node_name(node)
            info = _forward_info(node)
            warnings.warn(f"Error detected in {name}. {info}", stacklevel=2)
            # torch's message is this one line; the forward call's traceback is in the warning above
            raise KittyRuntimeError(f"Function '{name}' returned nan values in its {i}th output.")


_anomaly.warn_error = warn_backward_error  # the engine calls it when a saved value changed in place
_anomaly.check = check_backward_result  # the engine calls it after each backward when the mode is on
