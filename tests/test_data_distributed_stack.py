"""StackDataset and DistributedSampler against torch."""
from __future__ import annotations

from unittest import mock

import pytest
import torch
from torch.utils.data import StackDataset as TorchStack
from torch.utils.data.distributed import DistributedSampler as TorchDistributed

import kittygrad as kitty
from kittygrad.utils.data import DistributedSampler, StackDataset


@pytest.mark.parametrize("n", [0, 3, 5, 10, 11])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [True, False])
def test_each_replica_reads_what_torchs_reads(n, replicas, shuffle, drop_last):
    for epoch in (0, 3):
        for rank in range(replicas):
            ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=7,
                                      drop_last=drop_last)
            theirs = TorchDistributed(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=7,
                                      drop_last=drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)
            assert len(ours) == len(theirs) and ours.total_size == theirs.total_size


def test_distributed_sampler_errors_are_torchs():
    # with the package there but no process group started, torch asks the default group for the
    # world size and that raises its ValueError; only a build without it says "Requires ..."
    with pytest.raises(ValueError, match="Default process group has not been initialized") as theirs:
        TorchDistributed(range(4))
    if kitty.distributed.is_available():
        with pytest.raises(ValueError) as ours:
            DistributedSampler(range(4))
        assert str(ours.value) == str(theirs.value)
    else:
        with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
            DistributedSampler(range(4))
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        with mock.patch("kittygrad.distributed.process_group.is_available", return_value=False):
            DistributedSampler(range(4), num_replicas=2)
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_distributed_sampler_feeds_a_dataloader():
    ds = kitty.utils.data.TensorDataset(kitty.arange(10))
    loader = kitty.utils.data.DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, 2, 0, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[0, 2], [4, 6], [8]]


def test_stack_dataset_matches_torch():
    a, b = [1, 2, 3], ["x", "y", "z"]
    assert StackDataset(a, b)[2] == TorchStack(a, b)[2]
    assert StackDataset(p=a, q=b)[1] == TorchStack(p=a, q=b)[1]
    assert len(StackDataset(a, b)) == len(TorchStack(a, b))
    for bad in (lambda m: m(a, q=b), lambda m: m(a, [1])):
        with pytest.raises(ValueError) as ours:
            bad(StackDataset)
        with pytest.raises(ValueError) as theirs:
            bad(TorchStack)
        assert str(ours.value) == str(theirs.value)


class _BatchedOnly:
    """A dataset read only in batches (``__getitems__``); ``lie`` returns one item too few."""

    def __init__(self, lie=False):
        self.lie = lie

    def __len__(self):
        return 5

    def __getitem__(self, i):
        raise AssertionError("read one by one")

    def __getitems__(self, indices):
        return [10 * i for i in indices][: len(indices) - self.lie]


@pytest.mark.parametrize("keyword", [False, True])
def test_stack_dataset_reads_batches_through_its_parts(keyword):
    def build(lib, lie=False):
        parts = (lib.arange(5), _BatchedOnly(lie))
        return lib.utils.data.StackDataset(**dict(zip("ab", parts))) if keyword else lib.utils.data.StackDataset(*parts)

    theirs, ours = build(torch).__getitems__([3, 0]), build(kitty).__getitems__([3, 0])
    assert [type(s) for s in ours] == [type(s) for s in theirs]
    flat = lambda batch: [[int(v) for v in (s.values() if isinstance(s, dict) else s)] for s in batch]
    assert flat(ours) == flat(theirs)
    loader = kitty.utils.data.DataLoader(build(kitty), batch_size=2)  # fetches through __getitems__
    assert len(list(loader)) == 3
    with pytest.raises(ValueError) as t_err:
        build(torch, lie=True).__getitems__([1, 2])
    with pytest.raises(ValueError) as k_err:
        build(kitty, lie=True).__getitems__([1, 2])
    assert str(k_err.value) == str(t_err.value)
