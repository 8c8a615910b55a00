"""torch.return_types: the named tuples that ops such as ``max(dim)`` and ``sort`` return."""
from __future__ import annotations

from collections import namedtuple

from .. import _display


def _make(name: str, fields: tuple):
    base = namedtuple(name, fields)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"{_display.name}.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})
    return cls


_VI = ("values", "indices")

max = _make("max", _VI)  # noqa: A001 - torch's names
min = _make("min", _VI)  # noqa: A001
median = _make("median", _VI)
nanmedian = _make("nanmedian", _VI)
kthvalue = _make("kthvalue", _VI)
mode = _make("mode", _VI)
sort = _make("sort", _VI)
topk = _make("topk", _VI)
cummax = _make("cummax", _VI)
cummin = _make("cummin", _VI)
aminmax = _make("aminmax", ("min", "max"))
slogdet = _make("slogdet", ("sign", "logabsdet"))
qr = _make("qr", ("Q", "R"))
svd = _make("svd", ("U", "S", "V"))
linalg_svd = _make("linalg_svd", ("U", "S", "Vh"))
linalg_qr = _make("linalg_qr", ("Q", "R"))
linalg_slogdet = _make("linalg_slogdet", ("sign", "logabsdet"))
linalg_eigh = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))

__all__ = [
    "max", "min", "median", "nanmedian", "kthvalue", "mode", "sort", "topk", "cummax", "cummin",
    "aminmax", "slogdet", "qr", "svd", "linalg_svd", "linalg_qr", "linalg_slogdet", "linalg_eigh",
]
