"""Storages: ``t.storage()`` and ``t.untyped_storage()`` as the DLwPT storage chapter inspects
them (views share one storage, writes through it reach every view), compared with torch."""
from __future__ import annotations

import warnings

import pytest
import torch

import kittygrad as kitty
from kittygrad import storage as kitty_storage


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def _inspect(lib):
    points = lib.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
    second, points_t = points[1], points.t()
    storage = points.storage()
    seen = [storage.tolist(), len(storage), storage[0], storage.size(), storage.element_size(), storage.nbytes(),
            str(storage.dtype).split(".")[-1], storage.type().split(".")[-1],
            second.storage_offset(), points_t.untyped_storage().data_ptr() == points.untyped_storage().data_ptr(),
            second.storage().data_ptr() == storage.data_ptr(), points.untyped_storage().nbytes(),
            points.untyped_storage().tolist()[:4], lib.is_storage(storage), lib.is_storage(points),
            points.untyped_storage() is points.untyped_storage(), storage.untyped() is points.untyped_storage()]
    storage[0] = 2.0
    points_t.storage()[5] = 9.0
    seen.append(points.tolist())
    strided = lib.arange(12).view(3, 4)[1:, ::2]
    seen += [strided.storage().tolist(), strided.storage_offset(), lib.tensor([True]).storage().tolist()]
    seen.append(points.clone().untyped_storage().data_ptr() == points.untyped_storage().data_ptr())
    for bad in (lambda: storage[6], lambda: storage[1:2], lambda: points.untyped_storage()[24]):
        try:
            bad()
        except (IndexError, RuntimeError) as e:
            seen.append((type(e).__name__.removeprefix("Kitty"), str(e)))
    return seen, str(storage).replace("kittygrad.", "torch.")


def test_storage_inspection_matches_torch():
    assert _quiet(lambda: _inspect(kitty)) == _quiet(lambda: _inspect(torch))


def test_typed_storage_warns_as_torch_once(monkeypatch):
    monkeypatch.setattr(kitty_storage, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = kitty.zeros(2)
        x.storage()
        x.storage().tolist()
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert str(caught[0].message).startswith("TypedStorage is deprecated.")
    assert caught[0].filename == __file__


def test_meta_tensor_has_no_storage():
    with pytest.raises(RuntimeError, match="no storage"):
        kitty.zeros(2).to("meta").untyped_storage()
