"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode (thread-local)."""
from __future__ import annotations

import functools
import inspect
import threading

from .. import _display


class _State(threading.local):
    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


_state = _State()
#: callables told when an inference region opens (+1) or closes (-1), in any thread
#: (``inference_tensors`` marks what is made inside one)
region_hooks: list = []


def is_grad_enabled() -> bool:
    """True when operations record a backward graph (the default).

    >>> import kittygrad as kitty
    >>> with kitty.no_grad():
    ...     kitty.is_grad_enabled()
    False
    """
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    """Whether the code runs inside ``kittygrad.inference_mode()``.

    >>> import kittygrad as kitty
    >>> with kitty.inference_mode():
    ...     kitty.is_inference_mode_enabled()
    True
    """
    return _state.inference


class _GradModeContext:
    """Context manager that also works as a decorator, with or without parentheses."""

    _enabled: bool = True

    def __new__(cls, *args, **kwargs):
        # `@no_grad` without parentheses: the decorated function arrives as the argument
        if cls in (no_grad, enable_grad, inference_mode) and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self) -> None:
        self._prev: list = []

    def _target(self) -> bool:
        return self._enabled

    def __enter__(self) -> None:
        # (None, as torch's: `with torch.no_grad() as x` binds None)
        self._prev.append((_state.enabled, _state.inference))
        _state.enabled = self._target()

    def __exit__(self, *exc) -> bool:
        _state.enabled, _state.inference = self._prev.pop()
        return False

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, func):
        """A decorated generator runs each of its steps in the mode, not only its creation (which
        runs none of its body); between steps the caller's mode holds, as in torch."""

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            gen = func(*args, **kwargs)
            step, value = gen.send, None
            while True:
                try:
                    with self.clone():
                        out = step(value)
                except StopIteration as stop:
                    return stop.value
                try:
                    value, step = (yield out), gen.send
                except GeneratorExit:
                    with self.clone():
                        gen.close()
                    raise
                except BaseException as e:  # thrown in by the caller: passed on inside the mode
                    value, step = e, gen.throw

        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeContext):  # noqa: N801 - torch's name
    """Disable gradient recording inside the block (or the decorated function).

    >>> import kittygrad as kitty
    >>> x = kitty.ones(2, requires_grad=True)
    >>> with kitty.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _enabled = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Re-enable gradient recording inside a ``no_grad`` block.

    >>> import kittygrad as kitty
    >>> with kitty.no_grad(), kitty.enable_grad():
    ...     kitty.is_grad_enabled()
    True
    """

    _enabled = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Turn gradient recording on or off; works as a function, a context manager or a decorator.

    >>> import kittygrad as kitty
    >>> with kitty.set_grad_enabled(False):
    ...     kitty.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._enabled = bool(mode)
        # torch applies the mode immediately, so `set_grad_enabled(False)` works as a call
        self._prev.append((_state.enabled, _state.inference))
        _state.enabled = self._enabled
        self._applied = True

    def __repr__(self) -> str:
        return f"{_display.name}.autograd.grad_mode.set_grad_enabled(mode={self._enabled})"

    def __enter__(self) -> None:
        if self._applied:
            self._applied = False  # already applied by __init__
            return
        super().__enter__()

    def __call__(self, func):
        # used as a decorator: undo the immediate switch that __init__ made
        if self._applied:
            _state.enabled, _state.inference = self._prev.pop()
            self._applied = False
        return super().__call__(func)

    def clone(self):
        prev = (_state.enabled, _state.inference)
        new = set_grad_enabled(self._enabled)
        _state.enabled, _state.inference = prev
        new._prev.clear()
        new._applied = False
        return new


class inference_mode(_GradModeContext):  # noqa: N801
    """Like ``no_grad``, and what is made inside is an inference tensor (``Tensor.is_inference()``);
    ``inference_mode(False)`` turns that off again (and gradients on), as torch.

    >>> import kittygrad as kitty
    >>> with kitty.inference_mode():
    ...     kitty.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._mode = bool(mode)

    def _target(self) -> bool:
        return not self._mode and _state.enabled if not self._mode else False

    def __enter__(self) -> None:
        self._prev.append((_state.enabled, _state.inference))
        if self._mode:
            _state.enabled = False
            _state.inference = True
            for hook in region_hooks:
                hook(1)
        else:  # torch's inference_mode(False): ordinary tensors again, with gradients recorded
            _state.enabled = True
            _state.inference = False

    def __exit__(self, *exc) -> bool:
        super().__exit__(*exc)
        if self._mode:
            for hook in region_hooks:
                hook(-1)
        return False

    def clone(self):
        return inference_mode(self._mode)
