"""``torch.distributed.elastic.multiprocessing.errors``: ``@record`` for a script's entry point.

Under torchrun, ``@record`` writes the exception of a failing rank to the file named by
``TORCHELASTIC_ERROR_FILE`` so the agent can report it. kittygrad's launcher prints the failing
rank's traceback itself; ``@record`` here writes that file too when the variable is set (JSON with
the message, traceback and time, as torch's), then lets the exception go on.

>>> @record
... def main():
...     return "ran"
>>> main()
'ran'
"""

from __future__ import annotations

import functools
import json
import os
import time
import traceback
from typing import Any, Callable

__all__ = ["ChildFailedError", "ErrorHandler", "get_error_handler", "record"]


class ChildFailedError(Exception):
    """A child process of the launcher failed (``failures`` maps its rank to what is known)."""

    def __init__(self, name: str, failures: dict) -> None:
        self.name, self.failures = name, failures
        super().__init__(f"{name} FAILED: {failures}")


class ErrorHandler:
    """Writes an uncaught exception to ``TORCHELASTIC_ERROR_FILE`` (when set)."""

    def initialize(self) -> None:
        pass

    def record_exception(self, e: BaseException) -> None:
        path = os.environ.get("TORCHELASTIC_ERROR_FILE")
        if not path:
            return
        report = {"message": {"message": f"{type(e).__name__}: {e}", "extraInfo": {
            "py_callstack": "".join(traceback.format_exception(type(e), e, e.__traceback__)),
            "timestamp": str(int(time.time()))}}}
        with open(path, "w") as f:
            json.dump(report, f)


def get_error_handler() -> ErrorHandler:
    return ErrorHandler()


def record(fn: Callable | None = None, error_handler: ErrorHandler | None = None) -> Callable:
    """Decorate a script's ``main``: an exception escaping it is recorded, then raised as before.

    >>> record(lambda: 3)()
    3
    """
    handler = error_handler or get_error_handler()

    def wrap(f: Callable) -> Callable:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            handler.initialize()
            try:
                return f(*args, **kwargs)
            except SystemExit as e:
                if e.code not in (None, 0):
                    handler.record_exception(e)
                raise
            except Exception as e:
                handler.record_exception(e)
                raise

        return wrapper

    return wrap(fn) if fn is not None else wrap
