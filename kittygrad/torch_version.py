"""``torch.torch_version``: the version string that compares as a version.

Scripts gate code paths on ``torch.__version__ >= "1.10"`` or ``torch.__version__ > (1, 9)``. As
plain strings the first is a character comparison ("2.13.0" < "2.9") and the second a TypeError,
so ``__version__`` is a ``str`` whose comparisons parse both sides as PEP 440 versions (release
numbers, a/b/rc pre-releases, .post, .dev and a ``+local`` label), as torch's is. A string that is
no version compares as the plain string it is.

>>> from kittygrad.torch_version import TorchVersion
>>> v = TorchVersion("2.13.0+cpu")
>>> v >= "2.9", v > (2, 12), v == "2.13.0", str(v) == "2.13.0+cpu"
(True, True, False, True)
"""
from __future__ import annotations

import re

from .version import __version__ as _version_text

__all__ = ["TorchVersion", "__version__"]

_VERSION = re.compile(
    r"v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d*))?"
    r"(?:[-_.]?(?:post|rev|r)[-_.]?(?P<post_n>\d*)|-(?P<post_implicit>\d+))?"
    r"(?:[-_.]?dev[-_.]?(?P<dev_n>\d*))?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?",
    re.IGNORECASE,
)
#: pre-release kinds in their order (the spellings PEP 440 normalizes to a, b, rc)
_PRE_ORDER = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}


def _sort_key(text: str):
    """A tuple that orders versions as PEP 440 does, or None when ``text`` is no version."""
    m = _VERSION.fullmatch(text.strip())
    if m is None:
        return None
    release = [int(p) for p in m["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:  # 2.0 == 2.0.0 == 2
        release.pop()
    post = m["post_n"] if m["post_n"] is not None else m["post_implicit"]  # ("" for a bare ".post")
    has_post = post is not None
    dev = m["dev_n"]
    if m["pre"] is not None:
        pre = (_PRE_ORDER[m["pre"].lower()], int(m["pre_n"] or 0))
    elif dev is not None and not has_post:
        pre = (-1, 0)  # 2.0.dev1 comes before 2.0a1
    else:
        pre = (3, 0)  # a final release comes after its pre-releases
    post_key = (int(post or 0),) if has_post else (-1,)
    dev_key = (0, int(dev or 0)) if dev is not None else (1, 0)
    # a local label sorts after the same version without one; numeric parts after alphabetic ones
    local = () if m["local"] is None else tuple(
        (1, int(p), "") if p.isdigit() else (0, 0, p.lower()) for p in re.split(r"[-_.]", m["local"])
    )
    return (int(m["epoch"] or 0), tuple(release), pre, post_key, dev_key, local)


def _other_text(other):
    """The version text of what ``other`` compares against: a string, or a tuple/list of parts."""
    if isinstance(other, str):
        return other
    if isinstance(other, (tuple, list)):
        return ".".join(str(part) for part in other)
    return None


class TorchVersion(str):
    """A version string (``torch.__version__``) that compares to strings and tuples as a version."""

    def _compare(self, other, op):
        text = _other_text(other)
        if text is None:
            return NotImplemented
        mine, theirs = _sort_key(str(self)), _sort_key(text)
        if mine is None or theirs is None:  # not versions: as the plain strings (a tuple is none)
            return op(str(self), other) if isinstance(other, str) else NotImplemented
        return op(mine, theirs)

    # (``!=`` stays str's, as torch's: "2.13" != "2.13.0" although they are == as versions)
    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    # equal strings hash alike, so it still works as a dict key or set member beside its text
    __hash__ = str.__hash__


#: kittygrad's version, comparable (under ``kittygrad.run`` the runner serves torch's here)
__version__ = TorchVersion(_version_text)
