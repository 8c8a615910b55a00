"""SyncBatchNorm in one process (outside a process group of several ranks it is BatchNorm, as in
torch) and ``convert_sync_batchnorm``; its statistics over several processes are checked under
``mpiexec -n 2`` in tests/distributed/ddp_worker.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.Sequential(lib.nn.Flatten(),
                             lib.nn.Linear(18, 3), lib.nn.BatchNorm1d(3, momentum=None)))


def test_convert_sync_batchnorm_matches_torch():
    reprs, kept = [], []
    for lib in (torch, kitty):
        model = _model(lib)
        converted = lib.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        reprs.append(repr(converted))
        kept.append(converted[1].weight is model[1].weight and converted[2][2].running_mean is model[2][2].running_mean)
    assert reprs[1] == reprs[0]
    assert kept == [True, True]


def test_outside_a_group_it_trains_and_evaluates_as_batchnorm():
    x = np.random.default_rng(0).standard_normal((4, 1, 5, 5)).astype(np.float32)
    results = []
    for lib in (torch, kitty):
        model = lib.nn.SyncBatchNorm.convert_sync_batchnorm(_model(lib))
        out = model(lib.tensor(x))
        out.square().sum().backward()
        model.eval()
        results.append([out.detach().numpy(), model[0].weight.grad.numpy(), model[2][2].running_var.numpy(),
                        model(lib.tensor(x)).detach().numpy()])
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_a_1d_input_is_torchs_error():
    for lib in (torch, kitty):
        with pytest.raises(ValueError, match="expected at least 2D input"):
            lib.nn.SyncBatchNorm(3)(lib.randn(3))
