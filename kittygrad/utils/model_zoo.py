"""``torch.utils.model_zoo``: the old name of :func:`kittygrad.hub.load_state_dict_from_url`.

>>> from kittygrad.utils import model_zoo
>>> model_zoo.load_url is model_zoo.load_state_dict_from_url
True
"""
from __future__ import annotations

from ..hub import load_state_dict_from_url

load_url = load_state_dict_from_url

__all__ = ["load_url", "load_state_dict_from_url"]
