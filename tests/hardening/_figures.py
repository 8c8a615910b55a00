"""Figures the hardening tests measure; tests/conftest.py prints them in pytest's terminal summary.

Under pytest-xdist (``make test`` runs a worker per core) each worker measures its own share: the
workers send their figures to the main process at the end, where counts (``add``) are summed and
other figures (``record``) kept as given.
"""
from __future__ import annotations

FIGURES: dict[str, str] = {}
COUNTED: set[str] = set()  # the names whose figures are counts, summed across workers


def record(name: str, value) -> None:
    FIGURES[name] = str(value)


def add(name: str, n: int) -> None:
    COUNTED.add(name)
    FIGURES[name] = str(int(FIGURES.get(name, 0)) + n)


def merge(figures: dict[str, str], counted: list[str]) -> None:
    """Takes in a worker's figures: its counts are added to these, its other figures kept."""
    for name, value in figures.items():
        if name in counted:
            add(name, int(value))
        else:
            FIGURES[name] = value
