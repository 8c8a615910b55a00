"""The op table's families: each ``test_<family>.py`` holds ``ROWS`` and imports the checks of
``_row_checks.py``; here every check is parametrized over its module's rows."""
from __future__ import annotations

import pytest
from _row_checks import ROW_FILTERS


def pytest_generate_tests(metafunc):
    rows = getattr(metafunc.module, "ROWS", None)
    if rows is None or "row" not in metafunc.fixturenames:
        return
    keep = ROW_FILTERS.get(metafunc.function.__name__, lambda r: True)
    chosen = [r for r in rows if keep(r)]
    metafunc.parametrize("row", chosen, ids=[r.name for r in chosen])


_BASE_SETTINGS: dict = {}


@pytest.fixture(autouse=True)
def _flat_hypothesis_settings(request):
    """Hypothesis' pytest plugin wraps a parametrized test's settings in one more layer per item;
    with hundreds of rows the chain outgrows the recursion limit. Start each item from the base."""
    fn = getattr(request.function, "__func__", request.function)
    base = _BASE_SETTINGS.setdefault(fn, getattr(fn, "_hypothesis_internal_use_settings", None))
    if base is not None:
        fn._hypothesis_internal_use_settings = base
    yield


def pytest_collection_modifyitems(config, items):
    """A family with no row for a check (no integer rows, say) has nothing to run there: leave it out
    rather than report pytest's "empty parameter set" skip."""
    empty = [i for i in items if i.fspath.dirname == __file__.rsplit("/", 1)[0]
             and any(m.name == "skip" and "empty parameter set" in str(m.kwargs.get("reason", ""))
                     for m in i.iter_markers())]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [i for i in items if i not in empty]
