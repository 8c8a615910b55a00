"""``python -m kittygrad.distributed.run``: the launcher's entry point (see the package's docstring)."""
from . import main

main()
