"""``ChannelShuffle`` (ShuffleNet): interleave channels across groups."""
from __future__ import annotations

from .. import functional as F
from ._functional_module import _FunctionalModule

__all__ = ["ChannelShuffle"]


class ChannelShuffle(_FunctionalModule, function=F.channel_shuffle, settings=("groups",)):
    """Split the channels of ``(N, C, *)`` into ``groups`` and interleave them.

    >>> import kittygrad as kitty
    >>> kitty.nn.ChannelShuffle(2)(kitty.arange(4.).reshape(1, 4, 1)).flatten()
    tensor([0., 2., 1., 3.])
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups
