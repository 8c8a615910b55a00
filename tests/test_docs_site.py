"""The documentation site (`make docs`), opened in a real headless browser.

Uses site/ when `make docs` has built it (CI runs `make docs` before `make test`), and otherwise
builds the site into a temporary folder. Pages are served by a local ``python -m http.server`` and
read with ``chromium --headless --dump-dom``; search is checked from ``file://``, the harder case
(no server: Material's offline search). Skipped, with the reason, when Chromium or MkDocs is not
installed; CI installs both (.ci/run, the ``docs`` extra).

``KITTYGRAD_DOCS_SCREENSHOTS=1`` writes the screenshots to docs/images/ (the committed ones);
otherwise they go to a temporary folder.
"""

from __future__ import annotations

import contextlib
import html as htmllib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import types
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
MKDOCS = Path(sys.executable).with_name("mkdocs")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to open the site with (apt-get install chromium)"),
    pytest.mark.skipif(
        not MKDOCS.exists() and not (ROOT / "site" / "index.html").exists(),
        reason="MkDocs is not installed and site/ is not built (make docs installs the docs extra and builds it)",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    built = ROOT / "site"
    if (built / "index.html").exists():
        return built
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([str(MKDOCS), "build", "--strict", "--quiet", "--site-dir", str(out)], cwd=ROOT, env=env, check=True)
    return out


@pytest.fixture(scope="module")
def server(site):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(base, timeout=1).close()
            break
        time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def chromium(tmp_path, *args: str, budget_ms: int = 10000) -> str:
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={profile}",
         f"--virtual-time-budget={budget_ms}", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dom(tmp_path, url: str) -> str:
    html = chromium(tmp_path, "--dump-dom", url)
    assert "</html>" in html, f"no page rendered for {url}"
    return html


def text_of(html: str) -> str:
    """What the page reads as, without its markup (highlighted code is split into spans)."""
    return htmllib.unescape(re.sub(r"<[^>]+>", "", html))


def images_load(base: str, page: str, html: str) -> list[str]:
    """The pictures the rendered page shows, each fetched: an SVG or a PNG, never a missing file."""
    sources = re.findall(r'<img[^>]* src="([^"]+)"', html)
    for src in sources:
        url = urllib.parse.urljoin(base + page, src)
        with urllib.request.urlopen(url, timeout=10) as reply:
            body = reply.read()
        assert body.startswith(b"\x89PNG") or b"<svg" in body[:2000], f"{src} on {page} is not a picture"
    return sources


def screenshot(tmp_path, url: str, name: str) -> Path:
    folder = ROOT / "docs" / "images" if os.environ.get("KITTYGRAD_DOCS_SCREENSHOTS") == "1" else tmp_path
    path = folder / name
    chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={path}", url)
    assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 50_000, f"{name}: a blank screenshot"
    return path


def test_home_page_renders_with_its_picture(server, tmp_path):
    html = dom(tmp_path, server + "index.html")
    assert re.search(r"<h1[^>]*>kittygrad", html)
    assert "make demo" in text_of(html) and "make test" in text_of(html)
    assert any(s.endswith("graph.svg") for s in images_load(server, "index.html", html))
    # the navigation reaches the guides, the API reference and the op coverage
    for link in ("guide/engine.html", "api/index.html", "coverage.html", "examples/index.html"):
        assert f'href="{link}"' in html, link
    screenshot(tmp_path, server + "index.html", "home.png")


def test_api_page_renders_signatures_from_docstrings(server, tmp_path):
    html = dom(tmp_path, server + "api/nn.functional.html")
    assert 'id="kittygrad.nn.functional.scaled_dot_product_attention"' in html
    entry = html.split('id="kittygrad.nn.functional.scaled_dot_product_attention"', 1)[1][:20000]
    assert "dropout_p" in text_of(entry) and "is_causal" in text_of(entry)  # the signature, with its parameters
    assert "doc-signature" in entry or "signature" in entry


def test_engine_guide_renders_its_graphs_built_from_the_page(server, tmp_path):
    html = dom(tmp_path, server + "guide/engine.html")
    graphs = [s for s in images_load(server, "guide/engine.html", html) if "images/graphs/" in s]
    assert {Path(s).name for s in graphs} >= {"locks.svg", "middle.svg", "retain-grad.svg", "version.svg", "views.svg"}
    # the code ran at build time: its output, the two warnings and the version error are on the page
    text = text_of(html)
    assert "after d.backward(): tensor([10., 18., 26.])" in text
    assert "Backpropagation not completed" in text and "started from the middle of the graph" in text
    assert "RuntimeError:" in text
    screenshot(tmp_path, server + "guide/engine.html", "engine.png")


def test_search_finds_scaled_dot_product_attention_offline(site, tmp_path):
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert any(d["location"].endswith("#kittygrad.nn.functional.scaled_dot_product_attention") for d in index["docs"])
    # from file://, no server and no network: Material's offline search in the browser
    html = dom(tmp_path, (site / "index.html").as_uri() + "?q=scaled_dot_product_attention")
    results = re.findall(r'<li class="md-search-result__item">(.*?)</li>', html, re.S)
    assert results, "the search rendered no result"
    hits = [r for r in results if "api/nn.functional.html" in r and "scaled_dot_product_attention" in text_of(r)]
    assert hits, [text_of(r)[:200] for r in results]


def test_site_needs_nothing_from_outside(site):
    external = re.compile(r'(?:src|href)="(https?:)?//(?!127\.0\.0\.1)[^"]+\.(?:js|css|woff2?)"')
    for page in site.rglob("*.html"):
        assert not external.search(page.read_text()), f"{page.relative_to(site)} loads a file from the network"


def load_hooks():
    pytest.importorskip("mkdocs", reason="MkDocs is not installed (make docs installs the docs extra)")
    spec = importlib.util.spec_from_file_location("kittygrad_docs_hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def test_a_public_name_without_docstring_is_reported(monkeypatch):
    hooks = load_hooks()
    fake = types.ModuleType("kittygrad_fake_namespace", "A namespace for the test.")

    def documented_function():
        """Has a docstring."""

    fake.documented_function = documented_function
    fake.bare_function = lambda: None
    fake.__all__ = ["documented_function", "bare_function"]
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    _, names, missing = hooks.api_page(fake.__name__, fake.__name__)
    assert names == ["bare_function", "documented_function"] and missing == ["bare_function"]


def test_every_documented_namespace_has_a_docstring_for_each_public_name():
    hooks = load_hooks()
    for module, _, title in hooks.NAMESPACES:
        _, names, missing = hooks.api_page(module, title)
        assert names and not missing, f"{module}: no docstring for {missing}"
