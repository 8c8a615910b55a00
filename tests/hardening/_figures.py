"""Figures the hardening tests measure; conftest.py prints them in pytest's terminal summary."""
from __future__ import annotations

FIGURES: dict[str, str] = {}


def record(name: str, value) -> None:
    FIGURES[name] = str(value)


def add(name: str, n: int) -> None:
    FIGURES[name] = str(int(FIGURES.get(name, 0)) + n)
