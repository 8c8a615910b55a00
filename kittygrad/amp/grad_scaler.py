"""``kittygrad.amp.GradScaler``: loss scaling for mixed precision, as ``torch.amp.GradScaler``.

Multiply the loss by a scale before backward, so small float16 gradients do not flush to zero;
before the optimizer step divide the gradients by it again, and skip the step when any gradient
is inf or NaN (the scale was too large), shrinking the scale for the next iteration. After
``growth_interval`` steps without inf/NaN the scale grows. Without inf/NaN gradients the
parameters end up exactly as without the scaler (the scale is a power of two).

>>> import kittygrad as kitty
>>> w = kitty.nn.Parameter(kitty.ones(2)); opt = kitty.optim.SGD([w], lr=0.1)
>>> scaler = kitty.amp.GradScaler("cpu", init_scale=4.0)
>>> scaler.scale((w * 3).sum()).backward(); w.grad
tensor([12., 12.])
>>> scaler.step(opt); scaler.update(); w.detach(), scaler.get_scale()
(tensor([0.7000, 0.7000]), 4.0)
"""
from __future__ import annotations

import warnings
from typing import Any

from .. import _display
from .. import backend as B
from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..errors import KittyRuntimeError, KittyValueError
from ..tensor import Tensor

__all__ = ["GradScaler"]

_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"
_FIX = "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration."


def _float32(x: float) -> float:
    """``x`` rounded to float32, as torch keeps the scale."""
    return float(B.xp.float32(x))


class GradScaler:
    """Dynamic loss scaling (see the module). ``device`` is ``"cpu"``; ``"cuda"`` (torch's default)
    warns that CUDA is not available and disables the scaler, as torch does on a CPU-only machine:
    a disabled scaler passes everything through (``scale`` returns its input, ``step`` just steps).

    >>> import kittygrad as kitty
    >>> kitty.amp.GradScaler("cpu").state_dict()
    {'scale': 65536.0, 'growth_factor': 2.0, 'backoff_factor': 0.5, 'growth_interval': 2000, '_growth_tracker': 0}
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if device != "cpu" and enabled:
            # torch names its CUDA class here whichever spelling made the scaler
            what = f"{_display.name}.cuda.amp.GradScaler" if device == "cuda" else f"GradScaler({device!r})"
            warnings.warn(f"{what} is enabled, but {device.upper()} is not available.  Disabling.",
                          UserWarning, stacklevel=2)
            self._enabled = False
        if not self._enabled:
            return
        if growth_factor <= 1.0:
            raise AssertionError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = init_scale
        self._scale: float | None = None  # set by the first scale(), as torch's lazy scale tensor
        # the tunable policy, keyed as in the state dict
        self._settings: dict[str, Any] = {"growth_factor": growth_factor, "backoff_factor": backoff_factor,
                                          "growth_interval": growth_interval}
        self._init_growth_tracker = 0
        self._growth_tracker: int | None = None
        self._per_optimizer: dict[int, dict[str, Any]] = {}

    # ---- the iteration: scale, (unscale_), step, update ------------------------------------------
    def scale(self, outputs):
        """``outputs`` (a tensor, or an iterable of them) times the scale; unchanged when disabled.

        >>> import kittygrad as kitty
        >>> kitty.amp.GradScaler("cpu", init_scale=8.0).scale(kitty.tensor(0.5))
        tensor(4.)
        """
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = _float32(self._init_scale)
            self._growth_tracker = self._init_growth_tracker
        factor = tensor(self._scale)

        def scaled(value):
            if isinstance(value, Tensor):
                return value * factor
            if isinstance(value, (tuple, list)):  # the same container, scaled item by item
                return type(value)(scaled(v) for v in value)
            if hasattr(value, "__iter__") and not isinstance(value, (str, bytes)):
                return map(scaled, value)  # a generator or other iterable: scaled lazily, as torch
            raise KittyValueError("outputs must be a Tensor or an iterable of Tensors")

        return scaled(outputs)

    def _check_scale(self, what: str) -> None:
        if self._scale is None:
            raise AssertionError(f"Attempted {what} but _scale is None.  " + _FIX)

    def _state(self, optimizer) -> dict[str, Any]:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": None})

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale, in place, and note whether any is inf/NaN.

        Call it before gradient clipping; ``step`` calls it when you did not.

        >>> import kittygrad as kitty
        >>> w = kitty.nn.Parameter(kitty.ones(1)); opt = kitty.optim.SGD([w], lr=1.0)
        >>> s = kitty.amp.GradScaler("cpu", init_scale=2.0); s.scale(w.sum()).backward()
        >>> s.unscale_(opt); w.grad
        tensor([1.])
        """
        if not self._enabled:
            return
        self._check_scale("unscale_")
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise KittyRuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] == _STEPPED:
            raise KittyRuntimeError("unscale_() is being called after step().")
        inv_scale = _float32(1.0 / self._scale)
        found_inf, seen = False, False
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if g.dtype.name == "float16":
                        raise KittyValueError("Attempting to unscale FP16 gradients.")
                    g.mul_(inv_scale)
                    seen = True
                    found_inf = found_inf or not bool(B.xp.isfinite(g._data).all())
        state["found_inf"] = found_inf if seen else None
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if not done) and call ``optimizer.step(*args, **kwargs)`` unless a gradient is inf/NaN.

        Returns what ``optimizer.step`` returned, or None when the step was skipped.

        >>> import kittygrad as kitty
        >>> w = kitty.nn.Parameter(kitty.ones(1)); opt = kitty.optim.SGD([w], lr=1.0)
        >>> s = kitty.amp.GradScaler("cpu"); s.scale(w.sum() * float("inf")).backward()
        >>> s.step(opt), w.detach()
        (None, tensor([1.]))
        """
        if not self._enabled:
            step = optimizer.step  # nothing was scaled: a plain step
            return step(*args, **kwargs)
        if "closure" in kwargs:
            raise KittyRuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise KittyRuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        if state["found_inf"] is None:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Shrink the scale by ``backoff_factor`` if a step was skipped, grow it by ``growth_factor``
        after ``growth_interval`` clean steps in a row; or set it to ``new_scale``.

        >>> import kittygrad as kitty
        >>> s = kitty.amp.GradScaler("cpu"); _ = s.scale(kitty.ones(1)); s.update(2.0); s.get_scale()
        2.0
        """
        if not self._enabled:
            return
        self._check_scale("update")
        if new_scale is not None:
            self._scale = _float32(self._checked_new_scale(new_scale))
        else:
            found = [s["found_inf"] for s in self._per_optimizer.values() if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._adjust_scale(skipped=any(found))
        self._per_optimizer = {}

    @staticmethod
    def _checked_new_scale(new_scale) -> float:
        """The value of an explicit ``update(new_scale)``: a float, or a one-element tensor without grad."""
        if isinstance(new_scale, Tensor):
            if new_scale.numel() == 1 and not new_scale.requires_grad:
                return new_scale.item()
        elif isinstance(new_scale, float):
            return new_scale
        raise AssertionError(
            "new_scale should be a float or a 1-element kittygrad.FloatTensor with requires_grad=False."
        )

    def _adjust_scale(self, skipped: bool) -> None:
        """Back off after a skipped step; grow after ``growth_interval`` clean steps in a row."""
        settings = self._settings
        if skipped:
            factor, streak = settings["backoff_factor"], 0
        else:
            streak = self._growth_tracker + 1
            factor = settings["growth_factor"] if streak == settings["growth_interval"] else None
            if factor is not None:
                streak = 0
        if factor is not None:
            self._scale = _float32(self._scale * factor)
        self._growth_tracker = streak

    # ---- settings and state -----------------------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale (``init_scale`` before the first ``scale``; 1.0 when disabled).

        >>> import kittygrad as kitty
        >>> kitty.amp.GradScaler("cpu").get_scale()
        65536.0
        """
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def get_growth_factor(self) -> float:
        return self._settings["growth_factor"]

    def set_growth_factor(self, new_factor: float) -> None:
        self._settings["growth_factor"] = new_factor

    def get_backoff_factor(self) -> float:
        return self._settings["backoff_factor"]

    def set_backoff_factor(self, new_factor: float) -> None:
        self._settings["backoff_factor"] = new_factor

    def get_growth_interval(self) -> int:
        return self._settings["growth_interval"]

    def set_growth_interval(self, new_interval: int) -> None:
        self._settings["growth_interval"] = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker

    def is_enabled(self) -> bool:
        """Whether this scaler scales (False for a disabled one, or one made for an absent device).

        >>> import kittygrad as kitty
        >>> kitty.amp.GradScaler("cpu", enabled=False).is_enabled()
        False
        """
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """scale, growth_factor, backoff_factor, growth_interval and _growth_tracker (empty when disabled)."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), **self._settings, "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave.

        >>> import kittygrad as kitty
        >>> s = kitty.amp.GradScaler("cpu"); s.load_state_dict({**s.state_dict(), "scale": 8.0}); s.get_scale()
        8.0
        """
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise KittyRuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale = _float32(state_dict["scale"])
        for key in self._settings:
            self._settings[key] = state_dict[key]
        streak = state_dict["_growth_tracker"]
        self._init_growth_tracker = streak
        # like the scale: a tracker already in use takes the value, an unused one starts from it
        self._growth_tracker = streak if self._growth_tracker is not None else None
