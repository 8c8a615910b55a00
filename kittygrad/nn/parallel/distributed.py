"""``DistributedDataParallel``: one model replica per process, gradients averaged over MPI.

Each replica computes gradients on its own share of the batch. Parameters are packed into a few
flat buckets (last layers first, since backward produces their gradients first); a
post-accumulate-gradient hook copies each gradient into its bucket as soon as autograd has
written it, and a full bucket starts a non-blocking MPI all-reduce while backward is still
computing the earlier layers. A parameter that fills a bucket by itself gets its own, reduced in
place in its gradient (no copies). The last gradient's hook waits for the buckets and writes the
averaged gradients back, so when ``backward()`` returns every replica holds the same ``.grad``.
Buckets are always started in the same order on every rank (MPI requires it), even when they
fill up in a different order. In a world of one process the gradients already are the averages:
nothing is copied or sent.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from time import perf_counter
from typing import Any, Callable, Iterator

from ... import backend as B
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...creation import from_numpy
from ...distributed.grad_bucket import GradBucket
from ...distributed.process_group import ProcessGroup, _resolve, mpi_module
from ...errors import KittyRuntimeError, KittyTypeError, KittyValueError
from ...futures import Future
from ...tensor import Tensor
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_MB = 1024 * 1024
#: the first bucket is small, so the first all-reduce starts early in backward
_FIRST_BUCKET_BYTES = 1 * _MB
#: when true (``KITTYGRAD_DDP_TRACE=1`` in the environment, or set by a benchmark before it builds
#: its models), every DDP backward appends its timestamps to the model's ``trace`` list: one
#: ``{"launch": [...], "backward_end": t, "wait_end": t}`` per backward, in ``time.perf_counter``
#: seconds (CLOCK_MONOTONIC on Linux, so the ranks of one machine share the clock). Off, it
#: costs one test per backward.
TRACE = os.environ.get("KITTYGRAD_DDP_TRACE", "") not in ("", "0")


class _Bucket:
    """Some parameters' gradients, packed into one flat array reduced by one MPI call.

    A bucket of one parameter is reduced in place in that parameter's gradient when it can be
    (contiguous and writable, as the gradients autograd accumulates are): no copy in or out.
    """

    def __init__(self, indices: list[int], flat, offsets: list[int]) -> None:
        self.indices = indices  # positions in DDP's parameter list
        self.flat = flat
        self.offsets = offsets
        self.waiting = len(indices)  # gradients still to arrive in this iteration
        self.request = None
        self.buf = flat  # what this iteration reduces: ``flat``, or the one gradient's own array
        self.direct = None  # that gradient's array, when ``buf`` is a view of it
        self.future = None  # with a communication hook: the future of its averaged values


def _wire_dtype(dtype):
    """The dtype a bucket of ``dtype`` gradients is summed in: MPI has no 16-bit float type
    (bfloat16 and float16 buffers cannot even be handed to it), so those go as float32 and are
    rounded back when the averages are written to ``.grad``."""
    return B.xp.dtype(B.xp.float32) if dtype.itemsize == 2 and B.is_float(dtype) else dtype


def _tensors_in(value: Any) -> Iterator[Tensor]:
    """The tensors a forward returned, however it nested them."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors_in(v)


def _reachable_leaves(outputs: Any) -> set[int]:
    """``id`` of every leaf tensor whose gradient a backward from ``outputs`` would produce."""
    seen_nodes: set[int] = set()
    leaves: set[int] = set()
    stack = []
    for t in _tensors_in(outputs):
        if t.grad_fn is None:
            if t.requires_grad:
                leaves.add(id(t))
        else:
            stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        variable = getattr(node, "variable", None) if type(node).__name__ == "AccumulateGrad" else None
        if variable is not None:
            leaves.add(id(variable))
        stack.extend(n for n in node._next_nodes if n is not None)
    return leaves


class DistributedDataParallel(Module):
    """Data parallelism over processes, as ``torch.nn.parallel.DistributedDataParallel``.

    At construction the replicas check that they hold the same parameters and take rank 0's
    parameters and buffers. Every forward in training (outside :meth:`no_sync`) arms the
    gradient hooks; the following ``backward()`` averages the gradients across the ranks,
    overlapping the all-reduces with the rest of backward. ``find_unused_parameters=True`` lets a
    forward skip some parameters (their share counts as zero); ``broadcast_buffers`` (default on)
    copies rank 0's buffers (BatchNorm statistics) to every rank before each forward.
    ``gradient_as_bucket_view`` and ``static_graph`` are accepted for compatibility and change
    nothing on CPUs; ``device_ids`` and ``output_device`` must be empty, as torch's for a CPU module.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.init_process_group()  # doctest: +SKIP
    >>> model = kitty.nn.parallel.DistributedDataParallel(kitty.nn.Linear(3, 1))  # doctest: +SKIP
    >>> model(kitty.randn(4, 3)).sum().backward()  # grads now averaged over the ranks  # doctest: +SKIP
    """

    #: ``Join([model])`` hands its block to this class's own ``join()`` (the uneven-input protocol it
    #: runs itself); the marker spares kittygrad.distributed an import of this higher layer
    _joins_by_itself = True

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool | None = None,
        init_sync: bool = True,
        process_group: ProcessGroup | None = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
        **unsupported: Any,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):  # a clear type error before any collective
            raise KittyTypeError(f"DistributedDataParallel wraps an nn.Module, got {type(module).__name__}")
        known_off = {k: v for k, v in unsupported.items() if v not in (None, False)}
        if known_off:
            raise KittyTypeError(f"DistributedDataParallel: kittygrad does not support {sorted(known_off)}")
        self.module = module
        self.process_group = _resolve(process_group)
        self.dim = dim
        self.broadcast_buffers = True if broadcast_buffers is None else bool(broadcast_buffers)
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        # torch's attribute names: code such as Accelerate flips them directly
        self.require_backward_grad_sync = self.require_forward_param_sync = True
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise KittyRuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter "
                "that requires a gradient."
            )
        if device_ids or output_device:  # (truthiness, as torch: output_device=0 passes)
            # every kittygrad module lives on the CPU, where torch refuses device placement
            raise KittyValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters "
                f"{ {p.device for p in module.parameters()} }."
            )
        self._param_names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self._check_same_model()
        if init_sync:
            self._broadcast([*module.parameters(), *module.buffers()])
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * _MB)
        self._buckets = self._make_buckets(cap)
        self._slot = {}  # parameter index -> (bucket, offset)
        for bucket in self._buckets:
            for i, off in zip(bucket.indices, bucket.offsets):
                self._slot[i] = (bucket, off)
        self._armed = False  # a forward asked for the next backward's gradients to be averaged
        self._join: dict | None = None  # inside join(): its options, and this iteration's active ranks
        self._ready = [False] * len(self._params)
        self._used = B.xp.zeros(len(self._params), B.xp.int32)
        self._next_launch = 0
        self._pending = 0  # gradients still expected in this backward
        # a world of one: every average is the gradient itself, so nothing is copied or sent
        self._solo = self.process_group.size() == 1
        self._handles = [p.register_post_accumulate_grad_hook(self._hook_for(i)) for i, p in enumerate(self._params)]
        self._comm_hook: Callable[[Any, GradBucket], Future] | None = None  # see register_comm_hook
        self._comm_state: Any = None
        #: seconds the last backward's final hook spent waiting for all-reduces (see benchmarks)
        self.last_wait_seconds = 0.0
        #: per-backward timestamps, recorded while the module-level ``TRACE`` is true
        self.trace: list[dict] = []
        self._launch_times: list[float] = []

    # ---- construction ---------------------------------------------------------------------------
    def _check_same_model(self) -> None:
        comm = self.process_group.comm
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in zip(self._param_names, self._params)]
        everyone = comm.allgather(mine)
        for rank, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                differ = [(a, b) for a, b in zip(everyone[0], theirs) if a != b][:1]
                raise KittyRuntimeError(
                    f"DistributedDataParallel: rank {self.process_group.ranks[rank]} holds a different model than "
                    f"rank {self.process_group.ranks[0]} ({len(theirs)} vs {len(everyone[0])} parameters"
                    f"{'; first difference ' + repr(differ[0]) if differ else ''}); every rank must build the same model"
                )

    def _broadcast(self, tensors: list[Tensor], root: int = 0) -> None:
        """Rank ``root``'s values of ``tensors`` (group rank) into every rank's, in place."""
        if self.process_group.size() == 1 or not tensors:
            return
        MPI = mpi_module()
        buffers = [B.xp.array(t._data, order="C") for t in tensors]
        requests = [self.process_group.comm.Ibcast([buf, MPI.BYTE], root=root) for buf in buffers]
        MPI.Request.Waitall(requests)
        if self.process_group.rank() != root:
            with no_grad():
                for t, buf in zip(tensors, buffers):
                    t.copy_(from_numpy(buf))

    def _make_buckets(self, cap: int) -> list[_Bucket]:
        buckets: list[_Bucket] = []
        open_by_dtype: dict = {}  # dtype -> (indices, offsets, bytes so far)
        limit = min(_FIRST_BUCKET_BYTES, cap)

        def close(dtype):
            indices, offsets, size = open_by_dtype.pop(dtype)
            buckets.append(_Bucket(indices, B.xp.zeros(size, _wire_dtype(dtype)), offsets))

        for i in reversed(range(len(self._params))):  # backward produces the last layers' gradients first
            arr = self._params[i]._data
            dtype = arr.dtype
            if arr.nbytes >= limit:  # it fills a bucket alone: its own, reduced in place in its gradient
                buckets.append(_Bucket([i], B.xp.zeros(arr.size, _wire_dtype(dtype)), [0]))
                limit = cap
                continue
            indices, offsets, size = open_by_dtype.setdefault(dtype, ([], [], 0))
            indices.append(i)
            offsets.append(size)
            open_by_dtype[dtype] = (indices, offsets, size + arr.size)
            if (size + arr.size) * dtype.itemsize >= limit:
                close(dtype)
                limit = cap
        for dtype in list(open_by_dtype):
            close(dtype)
        return buckets

    # ---- forward --------------------------------------------------------------------------------
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._armed and any(self._ready) and not all(self._ready):
            missing = [n for n, r in zip(self._param_names, self._ready) if not r]
            raise KittyRuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. The previous "
                f"backward produced no gradient for {missing[:10]}{' ...' if len(missing) > 10 else ''}: parameters "
                "that did not take part in the loss. Pass find_unused_parameters=True to DistributedDataParallel "
                "if the model does not use every parameter in every iteration."
            )
        if self._join is not None:  # uneven inputs: count the ranks still here (the others shadow us)
            self._count_active(1, is_grad_enabled() and self.require_backward_grad_sync)
        if self.broadcast_buffers and self.require_forward_param_sync:
            self._broadcast(list(self.module.buffers()))
        outputs = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._arm(outputs)
        else:
            self._armed = False
        return outputs

    def _arm(self, outputs: Any) -> None:
        """Expect one gradient per parameter in the next backward (none for unused ones)."""
        self._armed = True
        self._next_launch = 0
        self._used[:] = 0
        for i in range(len(self._ready)):
            self._ready[i] = False
        for bucket in self._buckets:
            bucket.waiting = len(bucket.indices)
            bucket.request = bucket.future = None
            bucket.buf, bucket.direct = bucket.flat, None
        self._launch_times = []
        self._pending = len(self._params)
        if self.find_unused_parameters:  # parameters this forward skipped count as ready (zero) now
            reachable = _reachable_leaves(outputs)
            for i, p in enumerate(self._params):
                if id(p) not in reachable:  # its share of the sum is zero
                    bucket, off = self._slot[i]
                    bucket.flat[off : off + p._data.size] = 0
                    self._mark_ready(i)

    # ---- backward -------------------------------------------------------------------------------
    def _hook_for(self, index: int):
        def hook(param: Tensor) -> None:
            if not self._armed:
                return  # no_sync, eval, or a backward with no DDP forward before it: stay local
            if self._ready[index]:
                raise KittyRuntimeError(
                    f"Expected to mark a variable ready only once: parameter {self._param_names[index]} received a "
                    "second gradient in one backward (reused in a way DistributedDataParallel cannot average; "
                    "run the extra backward inside no_sync())"
                )
            if not self._solo:
                bucket, off = self._slot[index]
                grad = param.grad._data
                alone = len(bucket.indices) == 1 and grad.dtype == bucket.flat.dtype
                if alone and grad.flags.c_contiguous and grad.flags.writeable:
                    bucket.buf, bucket.direct = grad.reshape(-1), grad  # a view: reduce the gradient itself
                else:
                    bucket.flat[off : off + grad.size] = grad.reshape(-1)
            self._used[index] = 1
            self._mark_ready(index)

        return hook

    def _mark_ready(self, index: int) -> None:
        self._ready[index] = True
        bucket, _ = self._slot[index]
        bucket.waiting -= 1
        self._pending -= 1
        if self._solo:
            if not self._pending:
                self._armed = False  # a world of one: each gradient already is the average
            return
        MPI = mpi_module()
        # launch every bucket that is full, in bucket order, so all ranks issue the same sequence
        while self._next_launch < len(self._buckets) and self._buckets[self._next_launch].waiting == 0:
            full = self._buckets[self._next_launch]
            if self._comm_hook is None:
                full.request = self.process_group.comm.Iallreduce(MPI.IN_PLACE, full.buf, op=MPI.SUM)
            else:
                full.future = self._call_comm_hook(self._next_launch, full.buf)
            if TRACE:
                self._launch_times.append(perf_counter())
            self._next_launch += 1
        if self._next_launch == len(self._buckets):
            self._finish()
        elif self._next_launch:
            # MPI moves a non-blocking collective along only inside MPI calls: poke it here
            launched = self._buckets[: self._next_launch]
            if self._comm_hook is None:
                MPI.Request.Testall([b.request for b in launched])
            else:
                for b in launched:
                    b.future.done()

    def _call_comm_hook(self, position: int, flat) -> Future:
        """Hand bucket ``position``, holding ``flat``, to the registered communication hook."""
        bucket = self._buckets[position]
        grad_bucket = GradBucket(
            position, from_numpy(flat), [self._params[i] for i in bucket.indices], bucket.offsets,
            position == len(self._buckets) - 1,
        )
        future = self._comm_hook(self._comm_state, grad_bucket)
        if not isinstance(future, Future):
            raise KittyTypeError(
                f"a DDP communication hook must return a kittygrad.futures.Future (of the bucket's averaged "
                f"flat tensor), got {type(future).__name__}"
            )
        return future

    def _hooked_result(self, position: int):
        """The flat array that bucket ``position``'s communication hook's future holds."""
        value = self._buckets[position].future.wait()
        size = self._buckets[position].flat.size
        if not isinstance(value, Tensor) or value.numel() != size:
            got = f"a tensor of {value.numel()} elements" if isinstance(value, Tensor) else type(value).__name__
            raise KittyRuntimeError(
                f"the DDP communication hook's future for bucket {position} must hold a tensor of {size} elements "
                f"(the bucket's flat gradient), got {got}"
            )
        return value._data.reshape(-1)

    def _finish(self) -> None:
        """Wait for every bucket and give each parameter the average of the ranks' gradients."""
        MPI = mpi_module()
        start = perf_counter()  # backward has produced every gradient on this rank
        hooked = self._comm_hook is not None
        if hooked:
            results = [self._hooked_result(position) for position in range(len(self._buckets))]
        else:
            MPI.Request.Waitall([b.request for b in self._buckets])
        used = self._used
        if self.find_unused_parameters and not self._solo:
            used = self._used.copy()
            self.process_group.comm.Allreduce(MPI.IN_PLACE, used, op=MPI.MAX)
        end = perf_counter()
        self.last_wait_seconds = end - start
        if TRACE:
            self.trace.append({"launch": self._launch_times, "backward_end": start, "wait_end": end})
        self._armed = False
        xp = B.xp
        with no_grad():
            for position, bucket in enumerate(self._buckets):
                # a hook averages (and may compress) itself; MPI's in-place sum is divided here
                flat = results[position] if hooked else bucket.buf
                scale = flat.dtype.type(1.0 if hooked else 1.0 / self._divisor())
                in_place = not hooked or (flat.size == bucket.buf.size and B.may_share_memory(flat, bucket.buf))
                for i, off in zip(bucket.indices, bucket.offsets):
                    if not used[i]:
                        continue  # no rank used it: its .grad stays as it was, as under torch
                    p = self._params[i]
                    g = p.grad
                    if bucket.direct is not None and g is not None and g._data is bucket.direct and in_place:
                        if not hooked:
                            g._data *= scale  # reduced in the gradient itself: only the average is left
                        g._vc[0] += 1
                        continue
                    summed = flat[off : off + p._data.size].reshape(p._data.shape)
                    if g is None:  # used on another rank only
                        p.grad = from_numpy(xp.multiply(summed, scale).astype(p._data.dtype, copy=False))
                    elif g._data.flags.writeable and g._data.shape == summed.shape and g._data.dtype == flat.dtype:
                        xp.multiply(summed, scale, out=g._data)  # average and store in one pass
                        g._vc[0] += 1
                    else:
                        g.copy_(from_numpy(xp.multiply(summed, scale)))

    # ---- uneven inputs ---------------------------------------------------------------------------
    def _count_active(self, here: int, syncing: bool) -> tuple[int, int]:
        """One iteration's roll call: how many ranks still train, and how many of them will
        average gradients this iteration (a rank that has joined answers 0, 0)."""
        MPI = mpi_module()
        counts = B.xp.array([here, int(bool(here and syncing))], B.xp.int64)
        self.process_group.comm.Allreduce(MPI.IN_PLACE, counts, op=MPI.SUM)
        active, syncing_ranks = int(counts[0]), int(counts[1])
        self._join["active"] = active
        self._join["iterations"] += here
        if self._join["throw"] and 0 < active < self.process_group.size():  # (every rank raises, joined too)
            if not here:  # torch tells the rank that ran out apart from the ranks it stops
                raise KittyRuntimeError(f"Rank {self.process_group.rank()} exhausted all inputs.")
            raise KittyRuntimeError("Detected at least one rank that exhausted inputs. Throwing across all ranks.")
        return active, syncing_ranks

    def _divisor(self) -> int:
        """What the summed gradients are divided by: the world size, or (join with
        ``divide_by_initial_world_size=False``) the ranks that took part in this iteration."""
        if self._join is not None and not self._join["initial"]:
            return self._join["active"]
        return self.process_group.size()

    def _shadow(self) -> None:
        """A rank out of inputs matches, iteration by iteration, the collectives of those still
        training: the roll call, the buffer broadcast and one all-reduce of zeros per bucket."""
        MPI = mpi_module()
        comm = self.process_group.comm
        while True:
            active, syncing = self._count_active(0, False)
            if not active:
                break
            if self.broadcast_buffers and self.require_forward_param_sync:
                self._broadcast(list(self.module.buffers()))
            if not syncing:
                continue
            if self._comm_hook is not None:  # the same hook calls, so the same collectives
                for position, bucket in enumerate(self._buckets):
                    self._call_comm_hook(position, B.xp.zeros_like(bucket.flat)).wait()
            else:
                zeros = [B.xp.zeros_like(bucket.flat) for bucket in self._buckets]
                MPI.Request.Waitall([comm.Iallreduce(MPI.IN_PLACE, z, op=MPI.SUM) for z in zeros])
            if self.find_unused_parameters:  # (_finish's roll of used parameters, with or without a hook)
                comm.Allreduce(MPI.IN_PLACE, B.xp.zeros_like(self._used), op=MPI.MAX)
        # the ranks that ran out early did not step: every rank takes the model of the last to
        # finish (the most iterations; the highest rank among equals), as torch's join does
        _, last = comm.allreduce((self._join["iterations"], self.process_group.rank()), op=MPI.MAX)
        self._broadcast([*self.module.parameters(), *self.module.buffers()], root=last)

    @contextmanager
    def join(self, divide_by_initial_world_size: bool = True, enable: bool = True,
             throw_on_early_termination: bool = False) -> Iterator[None]:
        """Train on uneven inputs: inside the block, a rank that runs out of batches keeps taking
        part in the others' collectives (its gradient counts as zero) until every rank is done.
        Gradients are divided by the world size, or by the ranks still training with
        ``divide_by_initial_world_size=False``. At the end every rank takes the model of the rank
        that trained longest (the others skipped their last optimizer steps), as torch's does.
        ``throw_on_early_termination=True`` raises on every rank as soon as one runs out instead.

        >>> with ddp.join():  # doctest: +SKIP
        ...     for x, y in my_rank_s_batches:  # ranks may have different counts
        ...         loss_fn(ddp(x), y).backward(); opt.step(); opt.zero_grad()
        """
        if not enable or self._solo:
            yield
            return
        self._join = {"initial": divide_by_initial_world_size, "throw": throw_on_early_termination,
                      "active": self.process_group.size(), "iterations": 0}
        try:
            yield
            self._shadow()
        finally:
            self._join = None

    # ---- public API -----------------------------------------------------------------------------
    def register_comm_hook(self, state: Any, hook: Callable[[Any, GradBucket], Future]) -> None:
        """Average each bucket with ``hook(state, bucket)`` instead of DDP's own all-reduce.

        The hook gets a :class:`kittygrad.distributed.GradBucket` as soon as the bucket's
        gradients are ready and returns a :class:`kittygrad.futures.Future` of the bucket's
        averaged flat tensor (dividing by the world size is the hook's job, as in torch); the
        averages become the parameters' ``.grad`` when backward ends. Every rank must make the
        same collective calls in the same order. Call it once, before training. Stock hooks are in
        ``kittygrad.distributed.algorithms.ddp_comm_hooks.default_hooks``.

        >>> from kittygrad.distributed.algorithms.ddp_comm_hooks import default_hooks  # doctest: +SKIP
        >>> ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)  # doctest: +SKIP
        """
        if not callable(hook):
            raise KittyTypeError("Communication hook must be callable.")
        if self._comm_hook is not None:
            raise KittyRuntimeError("register_comm_hook or register_builtin_comm_hook can only be called once.")
        self._comm_hook, self._comm_state = hook, state
        self._solo = False  # a world of one still calls the hook on every bucket, as torch does

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside the block, backward keeps gradients local (they accumulate); the first backward
        after it averages the accumulated sum.

        >>> with ddp.no_sync():  # doctest: +SKIP
        ...     ddp(x1).sum().backward()
        >>> ddp(x2).sum().backward()  # averages the gradients of both  # doctest: +SKIP
        """
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
