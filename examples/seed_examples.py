"""The seed README's two examples, runnable: gradients, then the computational graph.

    python examples/seed_examples.py            # prints the gradients, writes graph.svg
    python examples/seed_examples.py --no-view  # same, never opens a viewer
"""
from __future__ import annotations

import argparse
from pathlib import Path

import kittygrad as kitty


def gradients() -> None:
    a = kitty.tensor([1, 2, 3], requires_grad=True)
    b = a.std()
    b.retain_grad()
    c = b * kitty.dot(a, a)
    print(c)  # tensor(14., grad_fn=<MulBackward>)

    c.backward()
    print(a.grad)  # tensor([-5.,  4., 13.])
    print(b.grad)  # tensor(14.)


def computational_graph(out_dir: Path, view: bool) -> None:
    try:
        CompGraph = kitty.CompGraph
    except (AttributeError, ImportError) as e:  # the viz extra is optional
        print(f"(computational graph skipped: {e})")
        return
    a, b = kitty.randn(2, 2, 3)
    a.requires_grad = True

    with CompGraph() as dot:
        c = a + 42
        c **= 2
        _ = c * b
    try:
        path = dot.render(str(out_dir / "graph"), format="svg", cleanup=True)
        print(f"computational graph written to {path}")
        if view:
            dot.view(cleanup=True)
    except RuntimeError as e:  # no Graphviz `dot` binary: show the DOT source instead
        print(e)
        print(dot.source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for graph.svg (default: out/)")
    parser.add_argument("--no-view", action="store_true", help="do not open the picture in a viewer")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    gradients()
    computational_graph(args.out, view=not args.no_view)


if __name__ == "__main__":
    main()
