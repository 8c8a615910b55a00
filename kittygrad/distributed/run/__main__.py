"""``python -m kittygrad.distributed.run``: the launcher's entry point (see the package's docstring)."""
from . import main

if __name__ == "__main__":  # (a tool that imports every module, as the docs generator does, must not launch)
    main()
