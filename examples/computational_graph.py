"""The seed README's computational-graph example, written to an SVG picture.

    python examples/computational_graph.py                 # writes docs/graph.svg
    python examples/computational_graph.py --out g.png     # the suffix picks the format
    python examples/computational_graph.py --legend        # with the legend of colours

Round nodes are operations and gradient flow, rectangles are tensors. Yellow: no relation to
auto-differentiation; green: tensors whose gradients we want; brown: forward computations that
build a backward graph; blue: backward nodes. Rendering needs Graphviz's `dot` program
(apt-get install graphviz / brew install graphviz); without it the DOT source is printed.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import kittygrad as kitty
from kittygrad.viz import GraphvizNotFoundError

ROOT = Path(__file__).resolve().parent.parent


def seed_graph(legend: bool = False) -> kitty.CompGraph:
    kitty.manual_seed(0)  # the values do not show in the picture; this keeps the file stable
    a, b = kitty.randn(2, 2, 3)
    a.requires_grad = True

    with kitty.CompGraph(legend=legend) as dot:
        c = a + 42
        c **= 2
        _ = c * b
    return dot


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "graph.svg",
                        help="picture to write; its suffix picks the format (default: docs/graph.svg in the repository)")
    parser.add_argument("--legend", action="store_true", help="add the legend of shapes and colours")
    parser.add_argument("--view", action="store_true", help="also open the picture in the system's viewer")
    args = parser.parse_args(argv)

    dot = seed_graph(legend=args.legend)
    try:
        path = dot.render(args.out, view=args.view)
    except GraphvizNotFoundError as e:
        print(e)
        print(dot.source)
        raise SystemExit(1) from None
    print(f"computational graph written to {path}")


if __name__ == "__main__":
    main()
