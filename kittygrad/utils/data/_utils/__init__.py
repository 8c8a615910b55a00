"""``torch.utils.data._utils``: where torch keeps the collate machinery that its documentation
tells users to extend (``from torch.utils.data._utils.collate import collate, default_collate_fn_map``)."""
from . import collate

__all__ = ["collate"]
