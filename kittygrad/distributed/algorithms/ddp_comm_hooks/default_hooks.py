"""torch's stock DDP communication hooks, over kittygrad's MPI collectives.

Each takes ``(process_group, bucket)`` (``process_group`` is the hook's state: a group, or None
for the default one) and returns a :class:`kittygrad.futures.Future` whose value is the bucket's
averaged flat gradient. MPI has no 16-bit float type, so a 16-bit bucket is summed in float32 and
rounded back: it travels in 32 bits, and its sum is at least as accurate as torch's.
"""

from __future__ import annotations

from typing import Any, Callable

from .... import dtypes as _dtypes
from ....futures import Future
from ....tensor import Tensor
from ... import collectives as _collectives
from ...grad_bucket import GradBucket
from ...process_group import ProcessGroup, _resolve

__all__ = [
    "allreduce_hook",
    "bf16_compress_hook",
    "bf16_compress_wrapper",
    "fp16_compress_hook",
    "fp16_compress_wrapper",
]

Hook = Callable[[Any, GradBucket], Future]


def _averaged_async(group: ProcessGroup | None, tensor: Tensor) -> Future:
    """Divide ``tensor`` by the group's size in place, then start summing it over the group:
    the future's value is ``tensor`` holding the average."""
    grp = _resolve(group)
    tensor.div_(grp.size())
    work = _collectives.all_reduce(tensor, group=group, async_op=True)
    return work.get_future().then(lambda fut: fut.value()[0])


def allreduce_hook(process_group: ProcessGroup | None, bucket: GradBucket) -> Future:
    """Average the bucket over the ranks (DDP's own behaviour, written as a hook).

    >>> ddp.register_comm_hook(None, default_hooks.allreduce_hook)  # doctest: +SKIP
    """
    return _averaged_async(process_group, bucket.buffer())


def fp16_compress_hook(process_group: ProcessGroup | None, bucket: GradBucket) -> Future:
    """Average the bucket over the ranks after casting it to float16 (then back).

    >>> ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)  # doctest: +SKIP
    """
    return _compress_wrapper(_dtypes.float16, allreduce_hook)(process_group, bucket)


def bf16_compress_hook(process_group: ProcessGroup | None, bucket: GradBucket) -> Future:
    """Average the bucket over the ranks after casting it to bfloat16 (then back).

    >>> ddp.register_comm_hook(None, default_hooks.bf16_compress_hook)  # doctest: +SKIP
    """
    return _compress_wrapper(_dtypes.bfloat16, allreduce_hook)(process_group, bucket)


def _compress_wrapper(dtype, hook: Hook) -> Hook:
    """``hook`` on a ``dtype`` copy of the bucket; its result lands back in the bucket."""

    def wrapped(state: Any, bucket: GradBucket) -> Future:
        flat = bucket.buffer()
        compressed = GradBucket(bucket.index(), flat.to(dtype), bucket.parameters(), bucket._offsets, bucket.is_last())

        def decompress(fut: Future) -> Tensor:
            flat.copy_(fut.value())  # back into the bucket, in its own dtype
            return flat

        return hook(state, compressed).then(decompress)

    return wrapped


def fp16_compress_wrapper(hook: Hook) -> Hook:
    """``hook`` run on a float16 copy of the bucket, its result cast back.

    >>> ddp.register_comm_hook(None, fp16_compress_wrapper(allreduce_hook))  # doctest: +SKIP
    """
    return _compress_wrapper(_dtypes.float16, hook)


def bf16_compress_wrapper(hook: Hook) -> Hook:
    """``hook`` run on a bfloat16 copy of the bucket, its result cast back.

    >>> ddp.register_comm_hook(None, bf16_compress_wrapper(allreduce_hook))  # doctest: +SKIP
    """
    return _compress_wrapper(_dtypes.bfloat16, hook)
