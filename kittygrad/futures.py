"""``kittygrad.futures``: the result of work that finishes later (torch.futures).

A :class:`Future` completes in one of three ways: someone calls :meth:`Future.set_result` (or
``set_exception``); the asynchronous work it stands for ends (``dist.all_reduce(...,
async_op=True).get_future()``); or, for a future made by :meth:`Future.then`, its parent completes
and the callback has run. kittygrad has no background threads, so work in flight advances when
the future is asked about it: ``wait()`` blocks until the work ends, and ``done()`` polls it.
A callback given to ``then`` runs as soon as the parent is seen complete (at once when it
already is), on the thread that looked.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Iterable, TypeVar

from .errors import KittyRuntimeError

__all__ = ["Future", "collect_all", "wait_all"]

T = TypeVar("T")
S = TypeVar("S")


class Future(Generic[T]):
    """A value that will be there later.

    >>> import kittygrad as kitty
    >>> fut = kitty.futures.Future()
    >>> doubled = fut.then(lambda f: f.value() * 2)
    >>> fut.set_result(21)
    >>> doubled.wait()
    42
    """

    def __init__(self, *, devices: Any = None) -> None:
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future], None]] = []
        # for a future of work in flight: ``_block()`` waits for the work and settles the future,
        # ``_poll()`` settles it only if the work has ended (both None once settled)
        self._block: Callable[[], None] | None = None
        self._poll: Callable[[], None] | None = None

    @classmethod
    def _of_work(cls, wait: Callable[[], Any], ended: Callable[[], bool]) -> Future:
        """The future of asynchronous work: ``wait()`` blocks until it ends and returns its value
        (or raises its error); ``ended()`` tells without blocking."""
        fut = cls()
        fut._block = lambda: fut._settle_from(wait)
        fut._poll = lambda: fut._settle_from(wait) if ended() else None
        return fut

    # ---- completing ------------------------------------------------------------------------------
    def set_result(self, result: T) -> None:
        """Complete the future with ``result`` and run the callbacks waiting for it."""
        self._settle(result, None)

    def set_exception(self, result: BaseException) -> None:
        """Complete the future with an error: ``wait()`` and ``value()`` raise it."""
        if not isinstance(result, BaseException):
            raise TypeError(f"set_exception expects an exception, got {type(result).__name__}")
        self._settle(None, result)

    def _settle(self, value: Any, error: BaseException | None) -> None:
        if self._done:
            raise KittyRuntimeError("Future can only be marked completed once.")
        self._value, self._error, self._done = value, error, True
        self._block = self._poll = None
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def _settle_from(self, producer: Callable[[], Any]) -> None:
        try:
            value = producer()
        except Exception as exc:  # the work's (or callback's) error becomes the future's
            self._settle(None, exc)
        else:
            self._settle(value, None)

    # ---- asking ----------------------------------------------------------------------------------
    def done(self) -> bool:
        """Whether the value (or error) is there; polls work in flight without blocking."""
        if not self._done and self._poll is not None:
            self._poll()
        return self._done

    def wait(self) -> T:
        """Block until the future completes; return its value (or raise its error)."""
        if not self._done:
            if self._block is None:
                raise KittyRuntimeError(
                    "Future.wait(): nothing will complete this future (no set_result() was called and "
                    "it stands for no work in flight); waiting would never end"
                )
            self._block()
        return self.value()

    def value(self) -> T:
        """The value of a completed future (its error is raised); see :meth:`wait`."""
        if not self.done():
            raise KittyRuntimeError("Future.value() called before the future completed; call wait() first")
        if self._error is not None:
            raise self._error
        return self._value

    # ---- chaining --------------------------------------------------------------------------------
    def add_done_callback(self, callback: Callable[[Future[T]], None]) -> None:
        """Call ``callback(self)`` once the future completes (now, if it has)."""
        if self.done():
            callback(self)
        else:
            self._callbacks.append(callback)

    def then(self, callback: Callable[[Future[T]], S]) -> Future[S]:
        """A new future holding ``callback(self)``, run once this one completes.

        An error in ``callback`` (or one it reads from this future) becomes the new future's.
        """
        child: Future = Future()

        def run(parent: Future) -> None:
            child._settle_from(lambda: callback(parent))

        if self.done():
            run(self)
            return child

        def block() -> None:  # the parent's completion runs ``run``, which settles the child
            if self._block is None:
                raise KittyRuntimeError("Future.wait(): the future this one follows will never complete")
            self._block()

        self._callbacks.append(run)
        child._block, child._poll = block, self.done
        return child

    def __repr__(self) -> str:
        return f"<kittygrad.futures.Future ({'done' if self._done else 'pending'})>"


def collect_all(futures: Iterable[Future]) -> Future[list[Future]]:
    """One future that completes when all of ``futures`` have; its value is that list.

    >>> import kittygrad as kitty
    >>> a, b = kitty.futures.Future(), kitty.futures.Future()
    >>> both = kitty.futures.collect_all([a, b]); a.set_result(1); b.set_result(2)
    >>> [f.value() for f in both.wait()]
    [1, 2]
    """
    futures = list(futures)

    def wait() -> list[Future]:
        for fut in futures:
            if not fut.done():
                if fut._block is None:
                    raise KittyRuntimeError("collect_all: one of the futures will never complete")
                fut._block()  # (an error stays with its future, read through its value())
        return futures

    return Future._of_work(wait, lambda: all(fut.done() for fut in futures))


def wait_all(futures: Iterable[Future]) -> list:
    """Wait for every future and return their values (the first error is raised).

    >>> import kittygrad as kitty
    >>> f = kitty.futures.Future(); f.set_result(3)
    >>> kitty.futures.wait_all([f])
    [3]
    """
    return [fut.wait() for fut in futures]
