"""torch.autograd's engine switches, answered as torch answers them."""
from __future__ import annotations

import torch

import kittygrad as kitty


def test_multithreading_switch_nests_and_restores_like_torchs():
    for lib in (torch, kitty):
        assert lib.autograd.is_multithreading_enabled()
        with lib.autograd.set_multithreading_enabled(False):
            assert not lib.autograd.is_multithreading_enabled()
            with lib.autograd.set_multithreading_enabled(True):
                assert lib.autograd.is_multithreading_enabled()
            assert not lib.autograd.is_multithreading_enabled()
        assert lib.autograd.is_multithreading_enabled()


def test_flags_and_tensor_likeness_match_torch():
    assert kitty.autograd.is_view_replay_enabled() == torch.autograd.is_view_replay_enabled()
    for ours, theirs in ((kitty.ones(1), torch.ones(1)), (3, 3), ([1.0], [1.0])):
        assert kitty.autograd.is_tensor_like(ours) == torch.autograd.is_tensor_like(theirs)
    with kitty.autograd.enforce_grad_layout_policy(False):
        x = kitty.ones(2, requires_grad=True)
        (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
