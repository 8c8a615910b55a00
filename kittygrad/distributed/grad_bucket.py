"""``GradBucket``: what a DDP communication hook receives (torch.distributed.GradBucket)."""

from __future__ import annotations

from ..autograd.grad_mode import no_grad
from ..errors import KittyRuntimeError
from ..tensor import Tensor

__all__ = ["GradBucket"]


class GradBucket:
    """Some parameters' gradients, flattened into one buffer that a communication hook reduces.

    ``buffer()`` is the flat 1-D tensor the hook works on (changing it in place changes the
    bucket); ``gradients()`` are views of it shaped as ``parameters()``; ``index()`` is the
    bucket's place in the order every rank reduces them; ``is_last()`` marks the bucket that
    completes a backward.

    >>> bucket.buffer().div_(dist.get_world_size())  # inside a hook  # doctest: +SKIP
    """

    def __init__(self, index: int, buffer: Tensor, parameters: list, offsets: list[int], is_last: bool) -> None:
        self._index = index
        self._buffer = buffer
        self._parameters = parameters
        self._offsets = offsets
        self._is_last = is_last

    def index(self) -> int:
        """The bucket's position in the order the ranks reduce buckets (0 is reduced first)."""
        return self._index

    def buffer(self) -> Tensor:
        """The flat 1-D gradient tensor of the bucket (in-place changes reach the bucket)."""
        return self._buffer

    def gradients(self) -> list[Tensor]:
        """Each parameter's gradient, as a view of :meth:`buffer` in the parameter's shape."""
        flat = self._buffer
        return [flat[off : off + p.numel()].view(p.shape) for p, off in zip(self._parameters, self._offsets)]

    def parameters(self) -> list[Tensor]:
        """The parameters whose gradients the bucket holds, in the buffer's order."""
        return list(self._parameters)

    def is_last(self) -> bool:
        """Whether this is the last bucket of the backward (the one reduced last)."""
        return self._is_last

    def set_buffer(self, buffer: Tensor) -> None:
        """Replace the bucket's values with ``buffer``'s (same number of elements)."""
        if buffer.numel() != self._buffer.numel():
            raise KittyRuntimeError(
                f"GradBucket.set_buffer: expected {self._buffer.numel()} elements, got {buffer.numel()}"
            )
        with no_grad():
            self._buffer.copy_(buffer.reshape(-1))

    def __repr__(self) -> str:
        return f"GradBucket(index={self._index}, parameters={len(self._parameters)}, numel={self._buffer.numel()})"
