"""The hardening suite prints what it measured (programs fuzzed, bad inputs tried, deepest and
widest graphs, memory growth, ...) at the end of the run."""
from __future__ import annotations

from hardening._figures import FIGURES


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not FIGURES:
        return
    terminalreporter.section("kittygrad hardening figures")
    width = max(len(k) for k in FIGURES)
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name:<{width}}  {value}")
