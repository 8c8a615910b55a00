"""Functions that tests/test_multiprocessing.py spawns: a module of their own, light to import in
each new process."""

import os


def write_rank(i, folder, text):
    with open(os.path.join(folder, str(i)), "w") as f:
        f.write(f"{text} {i}")


def fail_on_one(i):
    if i == 1:
        raise ValueError(f"process {i} fails on purpose")


def exit_three(i):
    raise SystemExit(3)
