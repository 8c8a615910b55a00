"""MkDocs hooks: the parts of the site that are generated from the code at build time.

- ``api/*.md``: one page per documented namespace, one mkdocstrings block per public name. A public
  name without a docstring is logged as a warning, which ``mkdocs build --strict`` turns into a
  failed build.
- ``coverage.md``: tools/api_coverage.py's measurement of torch's namespaces, one row per torch
  name with its status and a link to our API entry.
- ``examples/*.md``: each script of examples/ with the command that runs it and its recorded
  ``--smoke`` output (docs/examples_output/, refreshed by ``make docs-examples``).
- CompGraph pictures: a fenced Python block that follows ``<!-- compgraph: NAME -->`` in a guide is
  executed; what it prints (and the warnings it raises) is shown under it, and the ``dot`` it
  leaves behind is rendered to ``images/graphs/NAME.svg`` with Graphviz.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import io
import logging
import posixpath
import re
import subprocess
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path

from mkdocs.structure.files import File

import kittygrad

log = logging.getLogger("mkdocs.hooks.kittygrad")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"
RECORDED = ROOT / "docs" / "examples_output"

#: (module, page, title): the namespaces whose every public name gets an API entry
NAMESPACES = [
    ("kittygrad", "kittygrad", "kittygrad"),
    ("kittygrad.nn", "nn", "kittygrad.nn"),
    ("kittygrad.nn.functional", "nn.functional", "kittygrad.nn.functional"),
    ("kittygrad.optim", "optim", "kittygrad.optim"),
    ("kittygrad.utils.data", "utils.data", "kittygrad.utils.data"),
    ("kittygrad.autograd", "autograd", "kittygrad.autograd"),
    ("kittygrad.func", "func", "kittygrad.func"),
    ("kittygrad.distributions", "distributions", "kittygrad.distributions"),
    ("kittygrad.distributed", "distributed", "kittygrad.distributed"),
    ("kittygrad.viz", "viz", "kittygrad.viz"),
    ("kittygrad.profiler", "profiler", "kittygrad.profiler"),
    ("kittygrad.nn.utils.prune", "nn.utils.prune", "kittygrad.nn.utils.prune"),
    ("kittygrad.fft", "fft", "kittygrad.fft"),
    ("kittygrad.signal.windows", "signal.windows", "kittygrad.signal.windows"),
    ("kittygrad.hub", "hub", "kittygrad.hub"),
]

#: examples/ scripts shown as pages, with the arguments of the recorded run
EXAMPLES = [
    ("seed_examples", "--no-view"),
    ("linear_regression", "--smoke"),
    ("custom_function", ""),
    ("computational_graph", "--out graph.svg"),
    ("mlp_digits", "--smoke"),
    ("cnn_mnist", "--smoke"),
    ("char_transformer", "--smoke"),
    ("char_rnn", "--smoke"),
    ("higher_order", "--smoke"),
    ("jacobians", "--smoke"),
    ("per_sample_gradients", "--smoke"),
]

GRAPH_BLOCK = re.compile(r"<!-- compgraph: (?P<name>[\w-]+) -->\n(?P<fence>```python\n(?P<code>.*?)\n```)\n", re.S)


def public_names(module) -> list[str]:
    """A namespace's public names: its ``__all__``, or else its names without an underscore."""
    names = list(getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")])
    return sorted(n for n in names if not inspect.ismodule(getattr(module, n, None)) and n != "annotations")


def documented(value) -> bool:
    return not (callable(value) or inspect.isclass(value)) or bool(inspect.getdoc(value))


# ----------------------------------------------------------------------------------------------
# API pages


def _first_paragraph(doc: str | None) -> str:
    return (doc or "").strip().split("\n\n")[0]


def api_page(module_name: str, title: str) -> tuple[str, list[str], list[str]]:
    """The Markdown of one namespace's page, the names it documents and the names lacking a docstring."""
    module = importlib.import_module(module_name)
    names = public_names(module)
    lines = [f"# `{title}`", "", _first_paragraph(module.__doc__), ""]
    constants = [n for n in names if not (callable(getattr(module, n)) or inspect.isclass(getattr(module, n)))]
    if constants:
        lines += ["## Constants", "", "| name | value |", "|---|---|"]
        lines += [f"| `{module_name}.{n}` | `{getattr(module, n)!r}` |" for n in constants]
        lines.append("")
    missing = []
    for n in names:
        if n in constants:
            continue
        if not documented(getattr(module, n)):
            missing.append(n)
        value = getattr(module, n)
        if not findable(value):
            lines += manual_entry(module_name, n, value)
        elif module_name == "kittygrad" and n == "Tensor":
            lines += [f"::: {module_name}.{n}", "    options:", "      inherited_members: true", ""]
        else:
            lines += [f"::: {module_name}.{n}", ""]
    if module_name == "kittygrad":
        lines += tensor_methods_table()
    return "\n".join(lines) + "\n", names, missing


def tensor_methods_table() -> list[str]:
    """Tensor methods without a docstring of their own, each pointing to its function twin."""
    rows = []
    for n in sorted(n for n in dir(kittygrad.Tensor) if not n.startswith("_")):
        value = getattr(kittygrad.Tensor, n)
        if not callable(value) or inspect.getdoc(value):
            continue
        base = n[:-1] if n.endswith("_") and not n.endswith("__") else n
        twin = getattr(kittygrad, base, None)
        if callable(twin) and inspect.getdoc(twin):
            rows.append(
                f"| `Tensor.{n}` | {'in place, ' if base != n else ''}see [`kittygrad.{base}`](#kittygrad.{base}) |"
            )
        else:
            rows.append(f"| `Tensor.{n}` | as in PyTorch |")
    return [
        "## Tensor methods that mirror a function",
        "",
        "These methods have no docstring of their own: each does what the function of the same name",
        "does with the tensor as its first argument (a trailing `_` writes the result in place).",
        "",
        "| method | documentation |",
        "|---|---|",
        *rows,
        "",
    ]


def findable(value) -> bool:
    """Whether the object lives where its ``__module__`` and ``__qualname__`` say (mkdocstrings finds it there)."""
    try:
        target = importlib.import_module(value.__module__)
        for part in value.__qualname__.split("."):
            target = getattr(target, part)
    except (AttributeError, ImportError, TypeError):
        return False
    return target is value


def manual_entry(module_name: str, name: str, value) -> list[str]:
    """An entry for an object made at run time (a refusal, a generated op), from its live signature."""
    try:
        signature = f"{name}{inspect.signature(value)}"
    except (TypeError, ValueError):
        signature = f"{name}(...)"
    ident = f"{module_name}.{name}"
    doc = inspect.getdoc(value) or ""
    return [f"## `{ident}` {{ #{ident} }}", "", "```python", signature, "```", "", "```text", doc, "```", ""]


def api_index(counts: list[tuple[str, str, int]]) -> str:
    lines = [
        "# API reference",
        "",
        "Generated at build time from the docstrings: every public name of each namespace below has an",
        "entry with its signature and types (a name without a docstring fails the build).",
        "",
        "| namespace | public names |",
        "|---|---:|",
    ]
    lines += [f"| [`{title}`]({page}.md) | {n} |" for title, page, n in counts]
    lines += ["", f"**{sum(c[2] for c in counts)} public names documented.**", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# the op-coverage page


def _load_coverage_tool():
    spec = importlib.util.spec_from_file_location("kittygrad_api_coverage", ROOT / "tools" / "api_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def coverage_page(documented_names: dict[str, set[str]]) -> str:
    """One row per torch name, with its status and a link to our entry where one exists."""
    tool = _load_coverage_tool()
    report = tool.measure()
    lines = [
        "# Op coverage against PyTorch",
        "",
        "Regenerated at every build by `tools/api_coverage.py` (the same measurement as `make coverage`,",
        "which writes `docs/api_coverage.md`): every public callable of torch's namespaces, kittygrad's",
        "status for it and, where it is present, a link to its entry in the API reference.",
        "",
        "| namespace | present | refused | missing | coverage |",
        "|---|---:|---:|---:|---:|",
    ]
    for e in report:
        c = e["counts"]
        lines.append(
            f"| [`{e['torch']}`](#{_slug(e['torch'])}) | {c['present']} | {c['refused']} | {c['missing']} "
            f"| {tool.coverage(e):.0f} % |"
        )
    page_of = {module: page for module, page, _ in NAMESPACES}
    for e in report:
        kitty = e["kitty"]
        lines += [
            "",
            f"## `{e['torch']}` {{#{_slug(e['torch'])}}}",
            "",
            f"kittygrad: `{kitty}`",
            "",
            "| torch name | status | kittygrad |",
            "|---|---|---|",
        ]
        for name, status, reason in e["rows"]:
            link = ""
            if status == "present":
                if kitty in page_of and name in documented_names.get(kitty, ()):
                    link = f"[`{kitty}.{name}`](api/{page_of[kitty]}.md#{kitty}.{name})"
                elif kitty == "kittygrad.Tensor":
                    method = getattr(kittygrad.Tensor, name, None)
                    anchor = (
                        f"kittygrad.Tensor.{name}"
                        if inspect.getdoc(method) and findable(method)
                        else "kittygrad.Tensor"
                    )
                    link = f"[`Tensor.{name}`](api/kittygrad.md#{anchor})"
                else:
                    link = f"`{kitty}.{name}`"
            elif status == "refused":
                link = reason.replace("|", "\\|")
            lines.append(f"| `{name}` | {status} | {link} |")
        if e["skipped"]:
            by_reason: dict[str, list[str]] = {}
            for n, r in e["skipped"]:
                by_reason.setdefault(r, []).append(n)
            lines += ["", f"Left out ({len(e['skipped'])}):", ""]
            lines += [f"- {r}: " + ", ".join(f"`{n}`" for n in names) for r, names in sorted(by_reason.items())]
    return "\n".join(lines) + "\n"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# ----------------------------------------------------------------------------------------------
# example pages


def example_page(name: str, args: str) -> str:
    path = EXAMPLES_DIR / f"{name}.py"
    source = path.read_text()
    module_doc = _escape_brackets(ast_docstring(source))
    command = f"python examples/{name}.py {args}".rstrip()
    recorded = RECORDED / f"{name}.txt"
    if not recorded.exists():
        log.warning("no recorded output for examples/%s.py: run `make docs-examples`", name)
    output = recorded.read_text().rstrip() if recorded.exists() else ""
    return "\n".join(
        [
            f"# `examples/{name}.py`",
            "",
            module_doc,
            "",
            "## Run it",
            "",
            "```bash",
            f"{command}    # after `make test` or `make demo` has created .venv",
            "```",
            "",
            "## Its output (recorded)",
            "",
            "```text",
            output,
            "```",
            "",
            "## Source",
            "",
            "```python",
            source.rstrip(),
            "```",
            "",
        ]
    )


def _escape_brackets(text: str) -> str:
    """Usage lines such as ``[--smoke]`` are not Markdown links."""
    return text.replace("[", "\\[")


def ast_docstring(source: str) -> str:
    return inspect.cleandoc(ast.get_docstring(ast.parse(source)) or "")


def examples_index() -> str:
    lines = [
        "# Examples",
        "",
        "Each script runs on real data that ships inside a package. The pages show the",
        "command, the output of a recorded run (`make docs-examples` records them again) and the source.",
        "",
        "| script | what it shows |",
        "|---|---|",
    ]
    for name, _ in EXAMPLES:
        first = _escape_brackets(ast_docstring((EXAMPLES_DIR / f"{name}.py").read_text()).split("\n\n")[0])
        first = first.replace("\n", " ")
        lines.append(f"| [`{name}.py`]({name}.md) | {first.replace('|', chr(92) + '|')} |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# CompGraph pictures from the code on the page


def run_graph_block(name: str, code: str, where: str) -> tuple[bytes | None, str]:
    """Execute a guide's code block; return the SVG of its ``dot`` and what it printed or warned."""
    namespace: dict = {"__name__": f"docs_{name.replace('-', '_')}"}
    out = io.StringIO()

    def show(message, category, *_args, **_kwargs) -> None:
        # in the order they happen, between the prints, wrapped to the width of a code block
        out.write(textwrap.fill(f"{category.__name__}: {message}", 100, subsequent_indent="    ") + "\n")

    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        warnings.showwarning = show
        try:
            exec(compile(code, f"<{where}: {name}>", "exec"), namespace)  # noqa: S102 - our own docs' code
        except Exception as exc:  # noqa: BLE001 - reported as a build warning, which fails --strict
            log.warning("%s: the code of compgraph %r raised %s: %s", where, name, type(exc).__name__, exc)
            return None, ""
    text = out.getvalue()
    dot = namespace.get("dot")
    if dot is None or not hasattr(dot, "pipe"):
        log.warning("%s: the code of compgraph %r leaves no `dot` to draw", where, name)
        return None, text
    return dot.pipe("svg"), text


# ----------------------------------------------------------------------------------------------
# the hooks

_state: dict = {}


def on_config(config):
    """Put the generated API and example pages into the navigation."""
    nav = config["nav"]
    for i, entry in enumerate(nav):
        key = next(iter(entry))
        if key == "API reference":
            nav[i] = {key: ["api/index.md"] + [{t: f"api/{p}.md"} for _, p, t in NAMESPACES]}
        elif key == "Examples":
            nav[i] = {key: ["examples/index.md"] + [{f"{n}.py": f"examples/{n}.md"} for n, _ in EXAMPLES]}
    return config


def on_files(files, config):
    documented_names: dict[str, set[str]] = {}
    counts = []
    for module_name, page, title in NAMESPACES:
        text, names, missing = api_page(module_name, title)
        for n in missing:
            log.warning("%s.%s is public and has no docstring", module_name, n)
        documented_names[module_name] = set(names)
        counts.append((title, page, len(names)))
        files.append(File.generated(config, f"api/{page}.md", content=text))
    files.append(File.generated(config, "api/index.md", content=api_index(counts)))
    files.append(File.generated(config, "coverage.md", content=coverage_page(documented_names)))
    files.append(File.generated(config, "examples/index.md", content=examples_index()))
    for name, args in EXAMPLES:
        files.append(File.generated(config, f"examples/{name}.md", content=example_page(name, args)))

    _state["outputs"] = {}
    for f in list(files):
        if not f.src_uri.endswith(".md") or f.abs_src_path is None:
            continue
        for m in GRAPH_BLOCK.finditer(Path(f.abs_src_path).read_text()):
            svg, text = run_graph_block(m["name"], m["code"], f.src_uri)
            _state["outputs"][(f.src_uri, m["name"])] = text
            if svg is not None:
                files.append(File.generated(config, f"images/graphs/{m['name']}.svg", content=svg))
    _state["api_names"] = sum(c[2] for c in counts)
    return files


def on_page_markdown(markdown, page, config, files):
    """Show each compgraph block's output and picture under it."""
    src = page.file.src_uri

    def expand(m: re.Match) -> str:
        name = m["name"]
        text = _state["outputs"].get((src, name), "")
        picture = posixpath.relpath(f"images/graphs/{name}.svg", posixpath.dirname(src) or ".")
        parts = [m["fence"], ""]
        if text.strip():
            parts += ["Output:", "", "```text", text.rstrip(), "```", ""]
        parts += [f"![CompGraph: {name}]({picture})", ""]
        return "\n".join(parts) + "\n"

    return GRAPH_BLOCK.sub(expand, markdown)


def on_post_build(config):
    log.info("kittygrad docs: %d public names documented", _state.get("api_names", 0))


def record_examples() -> None:
    """Run each example as its page says and keep what it prints (``make docs-examples``)."""
    RECORDED.mkdir(exist_ok=True)
    for name, args in EXAMPLES:
        with tempfile.TemporaryDirectory() as tmp:  # examples write pictures and checkpoints: not into the tree
            done = subprocess.run(
                [sys.executable, str(EXAMPLES_DIR / f"{name}.py"), *args.split()],
                cwd=tmp,
                capture_output=True,
                text=True,
                check=True,
            )
        # a progress bar redraws its line with carriage returns: keep each line's final state
        text = "\n".join(line.split("\r")[-1] for line in (done.stdout + done.stderr).split("\n"))
        (RECORDED / f"{name}.txt").write_text(text.replace(tmp + "/", ""))
        print(f"recorded examples/{name}.py {args}".rstrip())


if __name__ == "__main__":
    record_examples()
