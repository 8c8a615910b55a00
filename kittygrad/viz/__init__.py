"""kittygrad.viz: pictures of the computational graph.

- :class:`CompGraph`: ``with kitty.CompGraph() as dot: ...`` records the forward operations run
  in the block and the backward graph they build; ``dot.view()``, ``dot.render(path)``,
  ``dot.source``, or just ``dot`` in Jupyter.
- :func:`make_dot`: draws the backward graph already behind a tensor.
- :func:`legend`: the legend of shapes and colours on its own.

The DOT text needs only the ``graphviz`` Python package; pictures need the Graphviz program.
"""
from .graph import CompGraph, DotGraph, GraphvizNotFoundError, legend, make_dot

__all__ = ["CompGraph", "DotGraph", "GraphvizNotFoundError", "legend", "make_dot"]
