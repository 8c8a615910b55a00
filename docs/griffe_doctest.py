"""A Griffe extension for the API pages: the ``>>>`` examples of our docstrings become code blocks.

Our docstrings write examples as plain doctest (``>>> x`` then the output, up to a blank line),
which Markdown would read as prose: ``[[0, 1], [2, 3]]`` in an output looks like a link. Each
example is fenced as ``pycon`` here, so it renders (and highlights) as the session it is.
"""

from __future__ import annotations

import griffe


def fence_doctests(text: str) -> str:
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        if not line.lstrip().startswith(">>>"):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        block = []
        while i < len(lines) and lines[i].strip():  # doctest: an example runs up to a blank line
            block.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        if out and out[-1].strip():
            out.append("")
        out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
    return "\n".join(out)


class FenceDoctests(griffe.Extension):
    """Fence the doctest examples of every docstring Griffe reads."""

    def _fix(self, obj) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)

    def on_instance(self, *, obj, **kwargs) -> None:
        self._fix(obj)
