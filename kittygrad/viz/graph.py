"""CompGraph (record a block of code and draw it) and make_dot (draw what is behind a tensor)."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..autograd import function as F
from ..errors import KittyRuntimeError
from . import _draw
from ._record import Recorder, Records, caller_namespace, walk_backward

FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif", "dot", "gv", "json", "ps", "eps", "bmp", "tiff", "webp")

INSTALL_HINT = (
    "Rendering the computational graph needs Graphviz's `dot` program, which was not found on "
    "your PATH. Install Graphviz and make sure `dot` is on the PATH:\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  Fedora:         sudo dnf install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        winget install graphviz  (or choco install graphviz)\n"
    "The DOT text is available without it: `.source`."
)


class GraphvizNotFoundError(KittyRuntimeError):
    """Raised when a picture is rendered but Graphviz's ``dot`` program is not installed."""


def _graphviz():
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "kittygrad's graph pictures need the `graphviz` Python package: pip install graphviz "
            "(or pip install 'kittygrad[viz]'); rendering also needs the Graphviz program "
            "(e.g. apt-get install graphviz / brew install graphviz)."
        ) from None
    return graphviz


def _open(path: str, quiet: bool) -> None:
    try:
        _graphviz().view(path, quiet=quiet)
    except OSError as exc:  # no viewer (a headless machine): the picture is written all the same
        raise KittyRuntimeError(f"the picture was written to {path}, but no viewer could open it: {exc}") from exc


class DotGraph:
    """A picture of a computational graph: DOT source, rendering and Jupyter display.

    Built fresh from what was recorded each time it is used, so ``retain_grad()`` called after
    recording is reflected. ``legend=True`` adds a legend of shapes and colours.

    >>> import kittygrad as kitty
    >>> x = kitty.ones(2, requires_grad=True)
    >>> g = kitty.viz.make_dot((x * 2).sum())
    >>> g.source.startswith("digraph")
    True
    """

    def __init__(self, records: Records | None = None, *, legend: bool = False, rankdir: str = "LR") -> None:
        _graphviz()  # fail early, with the install command, when the package is missing
        self._records = records if records is not None else Records()
        self.legend = legend
        self.rankdir = rankdir

    # ---- DOT ----------------------------------------------------------------------------------
    @property
    def digraph(self):
        """A new ``graphviz.Digraph`` of the picture (change it freely, it is yours)."""
        return _draw.build(self._records, legend=self.legend, rankdir=self.rankdir)

    @property
    def source(self) -> str:
        """The DOT source text (needs no Graphviz program).

        >>> import kittygrad as kitty
        >>> with kitty.CompGraph() as dot:
        ...     y = kitty.ones(2) + 1
        >>> "add" in dot.source
        True
        """
        return self.digraph.source

    def __str__(self) -> str:
        return self.source

    # ---- rendering ------------------------------------------------------------------------------
    def pipe(self, format: str = "svg") -> bytes:
        """The rendered picture as bytes (``format``: 'svg', 'png', 'pdf', ...).

        >>> import kittygrad as kitty
        >>> with kitty.CompGraph() as dot:
        ...     y = kitty.ones(2) * 3
        >>> dot.pipe("svg")[:5]  # doctest: +SKIP
        b'<?xml'
        """
        graph = self.digraph
        try:
            return graph.pipe(format=format)
        except _graphviz().ExecutableNotFound as exc:
            raise GraphvizNotFoundError(INSTALL_HINT) from exc

    def render(self, path: str | os.PathLike = "graph", format: str | None = None, *, cleanup: bool = True,
               view: bool = False) -> str:
        """Write the picture to ``path`` and return the file's path.

        The format comes from ``format`` or else from the file's suffix (default 'svg'); a path
        without that suffix gets it. ``cleanup=False`` also keeps the DOT source beside it
        (``.gv``); ``view=True`` opens the picture in the system's viewer.

        >>> import kittygrad as kitty
        >>> with kitty.CompGraph() as dot:
        ...     y = kitty.ones(2) * 3
        >>> dot.render("graph.png")  # doctest: +SKIP
        'graph.png'
        """
        path = os.fspath(path)
        stem, suffix = os.path.splitext(path)
        suffix = suffix.lstrip(".").lower()
        if format is None:
            format = suffix if suffix in FORMATS else "svg"
        format = format.lower()
        if suffix != format:
            stem, path = path, f"{path}.{format}"
        data = self.pipe(format)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if not cleanup:
            self.save(stem + ".gv")
        if view:
            _open(path, quiet=False)
        return path

    def save(self, path: str | os.PathLike = "graph.gv") -> str:
        """Write the DOT source to ``path`` (needs no Graphviz program) and return the path."""
        path = os.fspath(path)
        Path(path).write_text(self.source, encoding="utf-8")
        return path

    def view(self, filename: str | os.PathLike | None = None, directory: str | os.PathLike | None = None,
             cleanup: bool = False, format: str = "svg", quiet: bool = False) -> str:
        """Render the picture and open it in the system's viewer; return the picture's path.

        As graphviz's ``view``: the picture goes to ``directory/filename`` (by default a new
        temporary folder) with the DOT source beside it, which ``cleanup=True`` leaves out.

        >>> import kittygrad as kitty
        >>> with kitty.CompGraph() as dot:
        ...     y = kitty.ones(2) * 3
        >>> dot.view(cleanup=True)  # doctest: +SKIP
        """
        made = directory is None and filename is None
        if directory is None:
            directory = tempfile.mkdtemp(prefix="kittygrad-") if made else "."
        path = os.path.join(os.fspath(directory), os.fspath(filename or "graph"))
        try:
            out = self.render(path, format, cleanup=cleanup)
        except BaseException:
            if made:
                shutil.rmtree(directory, ignore_errors=True)
            raise
        _open(out, quiet)
        return out

    # ---- Jupyter --------------------------------------------------------------------------------
    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode("utf-8")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        try:
            bundle = {"image/svg+xml": self._repr_svg_()}
        except GraphvizNotFoundError:
            bundle = {}
        bundle["text/plain"] = self._text_repr(bool(bundle))
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle

    def _text_repr(self, rendered: bool) -> str:
        return repr(self) if rendered else repr(self) + "\n" + INSTALL_HINT + "\n\n" + self.source

    def __repr__(self) -> str:
        rs = self._records
        return f"<{type(self).__name__}: {len(rs.ops)} operation(s), {len(rs.nodes)} backward node(s)>"


class CompGraph(DotGraph):
    """Record the operations run inside a ``with`` block and draw them with their backward graph.

    Round nodes are operations and gradient flow, rectangles are tensors (with shape and
    dtype). Yellow: no relation to autodiff; green: tensors whose gradients we want (leaves with
    requires_grad, retain_grad tensors); brown: forward computations that build a backward
    graph; blue: backward nodes. ``legend=True`` adds the legend.

    >>> import kittygrad as kitty
    >>> a, b = kitty.randn(2, 2, 3)
    >>> a.requires_grad = True
    >>> with kitty.CompGraph() as dot:
    ...     c = a + 42
    ...     c **= 2
    ...     _ = c * b
    >>> "PowBackward" in dot.source
    True
    >>> dot.view(cleanup=True)  # doctest: +SKIP
    """

    def __init__(self, *, legend: bool = False, names: bool = True, rankdir: str = "LR") -> None:
        super().__init__(legend=legend, rankdir=rankdir)
        self.names = names
        self._recorder = Recorder(self._records)
        self._active = False

    def __enter__(self) -> CompGraph:
        if self._active:
            raise KittyRuntimeError("this CompGraph is already recording; use a new CompGraph() to nest blocks")
        self._recorder.start(sys._getframe(1))
        F.observers.append(self._recorder)
        self._active = True
        return self

    def __exit__(self, *exc) -> bool:
        self._active = False
        for i in range(len(F.observers) - 1, -1, -1):
            if F.observers[i] is self._recorder:
                del F.observers[i]
                break
        if self.names:
            self._records.take_names(caller_namespace(sys._getframe(1)))
        return False


def make_dot(tensors, params: Mapping | None = None, *, legend: bool = False, names: bool = True,
             rankdir: str = "LR") -> DotGraph:
    """Draw the backward graph that already exists behind ``tensors`` (one tensor or several).

    Leaves are labelled with the names in ``params`` (``{name: tensor}``, e.g.
    ``dict(model.named_parameters())``) and, with ``names=True``, with the caller's variable names.

    >>> import kittygrad as kitty
    >>> w = kitty.ones(3, requires_grad=True)
    >>> loss = (w * 2).sum()
    >>> dot = kitty.viz.make_dot(loss, params={"w": w})
    >>> "SumBackward" in dot.source and "AccumulateGrad" in dot.source
    True
    """
    if isinstance(tensors, F.Tensor):
        tensors = [tensors]
    elif isinstance(tensors, Iterable):
        tensors = list(tensors)
    else:
        raise TypeError(f"make_dot expects a Tensor or a sequence of Tensors, got {type(tensors).__name__}")
    for t in tensors:
        if not isinstance(t, F.Tensor):
            raise TypeError(f"make_dot expects Tensors, got {type(t).__name__}")
    records = Records()
    walk_backward(records, tensors)
    if params:
        records.take_names(dict(params))
    if names:
        records.take_names(caller_namespace(sys._getframe(1)))
    return DotGraph(records, legend=legend, rankdir=rankdir)


def legend() -> DotGraph:
    """The legend alone: what each shape and colour means.

    >>> import kittygrad as kitty
    >>> "legend" in kitty.viz.legend().source
    True
    """
    return DotGraph(Records(), legend=True)
