"""``kittygrad.multiprocessing`` (torch.multiprocessing): the standard library's names, torch's
sharing-strategy names, and ``spawn`` / ``start_processes`` by Python's multiprocessing, the way
they run under pytest (the MPI way, for scripts, is tested in test_distributed.py)."""

from __future__ import annotations

import copy
import multiprocessing

import pytest
import torch
import torch.multiprocessing as tmp

import _spawn_targets as targets
import kittygrad as kitty
import kittygrad.multiprocessing as mp


def test_the_standard_librarys_names_and_torchs_extras_are_there():
    for name in ("Process", "Queue", "Pool", "get_context", "set_start_method", "cpu_count", "Event", "Lock"):
        assert getattr(mp, name) is getattr(multiprocessing, name)
    for name in ("spawn", "start_processes", "ProcessContext", "ProcessRaisedException", "ProcessExitedException",
                 "get_sharing_strategy", "set_sharing_strategy", "get_all_sharing_strategies"):
        assert hasattr(mp, name) and hasattr(tmp, name)
    assert mp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    assert mp.get_sharing_strategy() == tmp.get_sharing_strategy()
    with pytest.raises(ValueError):
        mp.set_sharing_strategy("shared_memory_please")


def test_spawn_runs_fn_with_each_index(tmp_path):
    assert mp.spawn(targets.write_rank, args=(str(tmp_path), "hello"), nprocs=2) is None
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["hello 0", "hello 1"]


def test_join_false_returns_a_context_to_join(tmp_path):
    context = mp.start_processes(targets.write_rank, args=(str(tmp_path), "later"), nprocs=2, join=False)
    assert len(context.pids()) == 2
    assert context.join() is True
    assert len(list(tmp_path.iterdir())) == 2


def test_a_process_that_raises_raises_in_the_caller_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException, match="process 1 fails on purpose") as caught:
        mp.spawn(targets.fail_on_one, nprocs=2)
    assert caught.value.error_index == 1 and "Traceback" in str(caught.value)


def test_a_process_that_exits_non_zero_is_a_process_exited_exception():
    with pytest.raises(mp.ProcessExitedException, match="exit code 3") as caught:
        mp.spawn(targets.exit_three, nprocs=1)
    assert caught.value.exit_code == 3


def test_a_bad_route_or_count_is_refused(monkeypatch):
    with pytest.raises(ValueError):
        mp.spawn(targets.exit_three, nprocs=0)
    monkeypatch.setenv("KITTYGRAD_SPAWN", "threads")
    with pytest.raises(ValueError, match="KITTYGRAD_SPAWN"):
        mp.spawn(targets.exit_three, nprocs=1)


def test_share_memory_marks_tensors_and_a_modules_parameters_shared_as_torch():
    # A3C's shared model (module.share_memory()) and SharedAdam's state (t.share_memory_());
    # nothing moves in kittygrad, but the calls run and is_shared() answers as torch's
    for m in (torch, kitty):
        t = m.zeros(3)
        assert t.is_shared() is False
        assert t.share_memory_() is t and t.is_shared() is True
        assert t.clone().is_shared() is False and copy.deepcopy(t).is_shared() is False
        net = m.nn.Linear(2, 2)
        net.weight.grad = m.ones(2, 2)
        assert net.share_memory() is net
        assert net.weight.is_shared() and net.bias.is_shared() and net.weight.grad.is_shared()
