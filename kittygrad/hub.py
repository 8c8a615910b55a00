"""``torch.hub``: the cache directory, and downloading checkpoints by URL.

``load_state_dict_from_url`` downloads a checkpoint into the hub cache (once) and reads it with
:func:`kittygrad.load`, which never runs code from a file. ``load``/``list``/``help`` are refused:
they import a ``hubconf.py`` downloaded from a repository, which is code from the internet.

>>> import kittygrad as kitty
>>> kitty.hub.get_dir().endswith("hub")
True
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.parse
import urllib.request
from typing import Any

from ._refused import refused
from .errors import KittyRuntimeError
from .serialization import load as _load

__all__ = ["get_dir", "set_dir", "download_url_to_file", "load_state_dict_from_url", "load", "list", "help"]

_hub_dir: str | None = None
_RUNS_CODE = "it imports hubconf.py from a downloaded repository, and kittygrad never runs downloaded code; " \
             "build the model in your script and load its weights with kittygrad.hub.load_state_dict_from_url"
load = refused("load", _RUNS_CODE)
list = refused("list", _RUNS_CODE)  # noqa: A001 - torch's name
help = refused("help", _RUNS_CODE)  # noqa: A001 - torch's name


def get_dir() -> str:
    """The hub cache: what :func:`set_dir` set, else ``$TORCH_HOME/hub``, else ``~/.cache/torch/hub``
    (``$XDG_CACHE_HOME`` replacing ``~/.cache``), as torch.

    >>> get_dir().endswith("hub")
    True
    """
    if _hub_dir is not None:
        return _hub_dir
    cache = os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache"))
    return os.path.join(os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch"))), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` as the hub cache from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None, progress: bool = True) -> None:
    """Download ``url`` to the file ``dst`` (through a temporary file, so ``dst`` is never half
    written); with ``hash_prefix``, the file's SHA-256 must start with it.

    >>> download_url_to_file  # doctest: +ELLIPSIS
    <function download_url_to_file at ...>
    """
    digest = hashlib.sha256()
    folder = os.path.dirname(os.path.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile(delete=False, dir=folder) as tmp, urllib.request.urlopen(url) as response:
        for chunk in iter(lambda: response.read(1 << 16), b""):
            tmp.write(chunk)
            digest.update(chunk)
    if hash_prefix is not None and not digest.hexdigest().startswith(hash_prefix):
        os.remove(tmp.name)
        raise KittyRuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest.hexdigest()}")')
    shutil.move(tmp.name, dst)


_HASH_IN_NAME = re.compile(r"-([a-f0-9]+)\.")


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None,
                             weights_only: bool = False) -> Any:
    """The object saved at ``url`` (a state dict, usually), cached in ``model_dir`` (default
    ``get_dir()/checkpoints``) and read with :func:`kittygrad.load` (torch's and kittygrad's formats,
    no code run). ``check_hash`` checks the hex digits after the last ``-`` of the file name against
    its SHA-256, as torch's model zoo names files.

    >>> load_state_dict_from_url  # doctest: +ELLIPSIS
    <function load_state_dict_from_url at ...>
    """
    folder = model_dir if model_dir is not None else os.path.join(get_dir(), "checkpoints")
    os.makedirs(folder, exist_ok=True)
    name = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(folder, name)
    if not os.path.exists(cached):
        found = _HASH_IN_NAME.search(name) if check_hash else None
        download_url_to_file(url, cached, found.group(1) if found else None, progress)
    return _load(cached, map_location=map_location, weights_only=weights_only)
