"""RNN, LSTM, GRU (multi-layer, bidirectional, batch_first) and their cells.

A whole layer stack runs as one fused op (:class:`kittygrad.ops.nn.recurrent.Rnn`): the input
projections of all time steps are one matmul, and backward is backpropagation through time
inside that op.

A ``PackedSequence`` runs layer by layer and direction by direction, in spans of time where the
number of running sequences is constant: each span is one fused call that starts from the state
the previous span ended in (the shorter sequences leave, keeping their last state; in the reverse
direction they join, starting from ``h0``). So a batch of n distinct lengths costs n fused calls
per layer and direction, and every sequence's final state is its own last valid step.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ... import creation as C
from ... import dtypes
from ...autograd import forward_ad
from ...autograd.function import Function
from ...autograd.gradients import grad as autograd_grad
from ...autograd.grad_mode import enable_grad, is_grad_enabled
from ...errors import KittyIndexError, KittyRuntimeError, KittyTypeError
from ...ops import joining as _joining
from ...ops._prep import torch_named
from ...ops.nn import recurrent as _nnrec
from ...ops._prep import torch_named
from ...ops.nn.linear import _check_linear_dtypes
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_FN = {"RNN_TANH": _nnrec.rnn_tanh, "RNN_RELU": _nnrec.rnn_relu, "GRU": _nnrec.gru, "LSTM": _nnrec.lstm}
# What extra_repr lists when it differs from the default, in torch's order.
_RNN_SHOWN = (("proj_size", 0), ("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0), ("bidirectional", False))
_CELL_SHOWN = (("bias", True), ("nonlinearity", "tanh"))


def _check_rnn_arguments(dropout, hidden_size, num_layers: int, proj_size: int) -> None:
    """torch's checks of an RNN's arguments, in its order (so the same argument is blamed first)."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element being zeroed")
    if num_layers == 1 and dropout > 0:  # dropout acts between layers: with one layer it is a no-op
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
            f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
            stacklevel=4,
        )
    if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


def _refuse_projections(kwargs: dict) -> None:
    """RNN and GRU take torch's keyword arguments, and refuse ``proj_size`` as torch does."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")


def _cell_parameters(suffix: str, gates: int, input_size: int, hidden_size: int, bias: bool, proj_size: int = 0) -> list:
    """``(name, shape)`` of one cell's weights in torch's order; shape None for an absent bias. With
    projections the recurrent weight reads the P-wide h, and ``weight_hr (P, H)`` comes last."""
    rows = gates * hidden_size
    names = [
        (f"weight_ih{suffix}", (rows, input_size)),
        (f"weight_hh{suffix}", (rows, proj_size or hidden_size)),
        (f"bias_ih{suffix}", (rows,) if bias else None),
        (f"bias_hh{suffix}", (rows,) if bias else None),
    ]
    if proj_size:
        names.append((f"weight_hr{suffix}", (proj_size, hidden_size)))
    return names


def _uniform_reset(module: Module) -> None:
    """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in registration order."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for param in module.parameters():
        init.uniform_(param, -bound, bound)


def _settings_repr(module: Module, head: str, defaults: tuple) -> str:
    """``head`` then every ``name=value`` whose value is not its default (booleans by identity, as
    torch compares them); a setting the module lacks (LSTMCell's nonlinearity) counts as default."""
    parts = [head]
    for name, default in defaults:
        value = getattr(module, name, default)
        differs = value is not default if isinstance(default, bool) else value != default
        if differs:
            parts.append(f"{name}={value}")
    return ", ".join(parts)


class RNNBase(Module):
    """Parameters and checks shared by RNN, LSTM and GRU (torch's names and order).

    >>> import kittygrad as kitty
    >>> [n for n, _ in kitty.nn.GRU(2, 3).named_parameters()]
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        _check_rnn_arguments(dropout, hidden_size, num_layers, proj_size)
        if proj_size and mode != "LSTM":  # torch would build weights its kernels cannot run
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        ndir = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else (proj_size or hidden_size) * ndir
            for suffix in ("", "_reverse")[:ndir]:
                for name, shape in _cell_parameters(f"_l{layer}{suffix}", _GATES[mode], in_size, hidden_size, bias, proj_size):
                    if shape is not None:  # a stack without bias has no bias names at all
                        setattr(self, name, Parameter(C.empty(shape, dtype=dtype)))
                        self._flat_weights_names.append(name)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        per = (4 if self.bias else 2) + (1 if self.proj_size else 0)
        w = self._flat_weights
        return [w[i : i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self) -> None:
        pass

    def reset_parameters(self) -> None:
        _uniform_reset(self)

    def extra_repr(self) -> str:
        return _settings_repr(self, f"{self.input_size}, {self.hidden_size}", _RNN_SHOWN)

    def _check(self, input: Tensor, hx: list) -> tuple:
        # torch's messages name the base layer (a subclass of LSTM still says "LSTM"), and only
        # its RNN says "tensor" here
        kind = {"LSTM": "LSTM", "GRU": "GRU"}.get(self.mode, "RNN")
        if input.ndim not in (2, 3):
            noun = " tensor" if kind == "RNN" else ""
            raise ValueError(f"{kind}: Expected input to be 2D or 3D, got {input.ndim}D{noun} instead")
        w = self._flat_weights[0] if self._flat_weights else None
        if w is not None and input.dtype != w.dtype:  # (torch's module checks this before the sizes)
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert input: "
                             f"input.to({w.dtype}), or convert model: model.to({input.dtype})")
        batched = input.ndim == 3
        bdim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(bdim)
        if any(h is not None for h in hx):  # the states' ranks first, then the sizes, as torch
            rank, form = (3, "batched 3-D") if batched else (2, "unbatched 2-D")
            if any(h.ndim != rank for h in hx):
                if kind == "LSTM":
                    got = ", ".join(f"{h.ndim}-D" for h in hx)
                    raise KittyRuntimeError(f"For {form} input, hx and cx should also be {rank}-D but got ({got}) tensors")
                raise KittyRuntimeError(f"For {form} input, hx should also be {rank}-D but got {hx[0].ndim}-D tensor")
        if input.shape[-1] != self.input_size:
            raise KittyRuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}"
            )
        n = input.shape[bdim]
        out = []
        for i, (h, want) in enumerate(zip(hx, self._state_shapes(n))):
            if h is None:
                out.append(None)
                continue
            if not batched:
                h = h.unsqueeze(1)
            if tuple(h.shape) != want:
                # an LSTM names which of (h0, c0) is wrong, as torch does
                which = f"hidden[{i}]" if self.mode == "LSTM" else "hidden"
                raise KittyRuntimeError(f"Expected {which} size {want}, got {list(h.shape)}")
            out.append(h)
        return input, batched, out

    def _state_shapes(self, n: int) -> list:
        """The shapes of h0 (P wide with projections) and, for an LSTM, c0 (H wide) for batch n."""
        rows = self.num_layers * (2 if self.bidirectional else 1)
        shapes = [(rows, n, self.proj_size or self.hidden_size)]
        if self.mode == "LSTM":
            shapes.append((rows, n, self.hidden_size))
        return shapes

    def _run(self, input: Tensor | PackedSequence, hx: list):
        # a packed batch takes its own path; a padded one goes to the fused op
        run = self._run_packed if isinstance(input, PackedSequence) else self._run_padded
        return run(input, hx)

    def _run_padded(self, input: Tensor, hx: list):
        x, batched, hs = self._check(input, hx)
        fn = _FN[self.mode]
        h0 = hs[0] if self.mode != "LSTM" else (hs[0], hs[1])
        outs = fn(x, h0, self._flat_weights, self.bias, self.num_layers, self.dropout, self.training, self.bidirectional, self.batch_first)
        output = outs[0]
        states = outs[1:]
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            states = tuple(s.squeeze(1) for s in states)
        return output, states


    def _run_packed(self, packed: PackedSequence, hx: list):
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        if data.shape[-1] != self.input_size:
            raise KittyRuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.shape[-1]}"
            )
        sizes = [int(n) for n in batch_sizes.tolist()]
        for h, want in zip(hx, self._state_shapes(sizes[0])):
            if h is not None and tuple(h.shape) != want:
                raise KittyRuntimeError(f"Expected hidden size {want}, got {list(h.shape)}")
        spans = _constant_spans(sizes)

        def run(x, *states_and_weights):
            states, weights = states_and_weights[: len(hx)], states_and_weights[len(hx) :]
            return self._packed_layers(x, states, weights, spans, sorted_indices, unsorted_indices)

        args = (data, *hx, *self._flat_weights)
        # (under forward-mode AD the layers run as ops, whose tangents flow: the node's forward detaches)
        if is_grad_enabled() and not forward_ad.is_active() and any(isinstance(a, Tensor) and a.requires_grad for a in args):
            # one node for the packed output and the final states (as the fused op is for padded input):
            # an output the caller keeps but never uses then holds no gradient back
            outs = _WholeGraph.apply(run, *args)
            # torch's packed output (concatenated spans; one oneDNN call, viewed, where an LSTM in
            # float32 has one batch size all along) and final states (stacked, or put back in order)
            one = self.mode == "LSTM" and not self.proj_size and data.dtype == dtypes.float32 and len(spans) == 1
            states = "StackBackward0" if unsorted_indices is None else "IndexSelectBackward0"
            outs = _nnrec.name_outputs(outs, ["ViewBackward0" if one else "CatBackward0"] + [states] * len(hx))
        else:
            outs = run(*args)
        return PackedSequence(outs[0], batch_sizes, sorted_indices, unsorted_indices), outs[1:]

    def _packed_layers(self, data: Tensor, hx: tuple, weights: tuple, spans: list, sorted_indices, unsorted_indices):
        """The packed output and the final states (in the caller's batch order), layer by layer."""
        ndir = 2 if self.bidirectional else 1
        per = len(weights) // (self.num_layers * ndir)
        batch = spans[0][3]
        # the states come in the caller's batch order; the packed batch is sorted by length
        states = [h.index_select(1, sorted_indices) if h is not None and sorted_indices is not None else h for h in hx]
        x, finals = data, [[] for _ in hx]
        for layer in range(self.num_layers):
            outs = []
            for d in range(ndir):
                k = layer * ndir + d
                start = [C.zeros(batch, shape[-1], dtype=data.dtype) if h is None else h[k]
                         for h, shape in zip(states, self._state_shapes(batch))]
                out, last = self._packed_direction(x, spans, weights[k * per : (k + 1) * per], start, d == 1)
                outs.append(out)
                for kept, state in zip(finals, last):
                    kept.append(state)
            x = _joining.cat(outs, 1) if ndir > 1 else outs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        finals = [_joining.stack(kept, 0) for kept in finals]
        if unsorted_indices is None:
            return (x, *finals)
        return (x, *(s.index_select(1, unsorted_indices) for s in finals))

    def _packed_direction(self, x: Tensor, spans: list, weights: list, start: list, reverse: bool):
        """One layer in one direction over packed ``x``: the packed output and, per state (h, and
        c for an LSTM), every sequence's final value in sorted order."""
        lstm = self.mode == "LSTM"
        pieces, done = [], [[] for _ in start]  # done: final states of the sequences that have left
        state = None
        for first, stop, rows, n in (reversed(spans) if reverse else spans):
            if state is None:
                state = [s[:n] for s in start]
            elif state[0].shape[0] > n:  # forward: the shortest running sequences ended
                for kept, s in zip(done, state):
                    kept.append(s[n:])
                state = [s[:n] for s in state]
            elif state[0].shape[0] < n:  # reverse: the next-longest sequences begin, from h0
                state = [_joining.cat([s, s0[s.shape[0] : n]], 0) for s, s0 in zip(state, start)]
            seq = x[first:stop].reshape(rows, n, x.shape[-1])
            if reverse:
                seq = seq.flip(0)
            h0 = tuple(s.unsqueeze(0) for s in state)
            outs = _FN[self.mode](seq, h0 if lstm else h0[0], weights, self.bias, 1, 0.0, False, False, False)
            out = outs[0].flip(0) if reverse else outs[0]
            pieces.append(out.reshape(stop - first, out.shape[-1]))
            state = [s[0] for s in outs[1:]]
        if reverse:
            pieces.reverse()
        last = [_joining.cat([s, *reversed(kept)], 0) if kept else s for s, kept in zip(state, done)]
        return _joining.cat(pieces, 0) if len(pieces) > 1 else pieces[0], last


class _WholeGraph(Function):
    """Records a composed computation as one node with several outputs: forward builds the inner
    graph on detached inputs, backward differentiates it with ``autograd.grad``."""

    @staticmethod
    def forward(ctx, fn, *args):
        need = ctx.needs_input_grad[1:]
        inner = [a.detach().requires_grad_(True) if n else a for a, n in zip(args, need)]
        with enable_grad():
            outs = fn(*inner)
        ctx.inner = ([a for a, n in zip(inner, need) if n], outs, need)
        return tuple(o.detach() for o in outs)

    @staticmethod
    def backward(ctx, *grads):
        inputs, outs, need = ctx.inner
        del ctx.inner  # the inner graph is freed once it has been differentiated
        used = [(o, g) for o, g in zip(outs, grads) if g is not None and o.requires_grad]
        found = iter(autograd_grad([o for o, _ in used], inputs, [g for _, g in used], allow_unused=True,
                                   create_graph=is_grad_enabled()) if used else [None] * len(inputs))
        return (None, *(next(found) if n else None for n in need))


def _constant_spans(sizes: list) -> list:
    """``(first row, end row, steps, batch)`` of each run of time steps with the same batch size."""
    spans, row, t = [], 0, 0
    while t < len(sizes):
        end = t
        while end < len(sizes) and sizes[end] == sizes[t]:
            end += 1
        steps = end - t
        spans.append((row, row + steps * sizes[t], steps, sizes[t]))
        row += steps * sizes[t]
        t = end
    return spans


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), stacked
    ``num_layers`` deep, optionally bidirectional. Returns ``(output, h_n)``.

    >>> import kittygrad as kitty
    >>> rnn = kitty.nn.RNN(3, 5, num_layers=2, batch_first=True)
    >>> out, h = rnn(kitty.randn(4, 7, 3))
    >>> out.shape, h.shape
    (kittygrad.Size([4, 7, 5]), kittygrad.Size([2, 4, 5]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None, **kwargs) -> None:
        _refuse_projections(kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        output, (h,) = self._run(input, [hx])
        return output, h


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o as torch); returns ``(output, (h_n, c_n))``.

    With ``proj_size=P > 0`` (an LSTM with projections) ``h_t = W_hr (o_t * tanh(c_t))`` is P wide:
    the output has P features per direction, h is P wide and c stays ``hidden_size`` wide.

    >>> import kittygrad as kitty
    >>> lstm = kitty.nn.LSTM(3, 5, bidirectional=True)
    >>> out, (h, c) = lstm(kitty.randn(7, 4, 3))
    >>> out.shape, h.shape
    (kittygrad.Size([7, 4, 10]), kittygrad.Size([2, 4, 5]))
    >>> out, (h, c) = kitty.nn.LSTM(3, 5, proj_size=2)(kitty.randn(7, 4, 3))
    >>> out.shape, h.shape, c.shape
    (kittygrad.Size([7, 4, 2]), kittygrad.Size([1, 4, 2]), kittygrad.Size([1, 4, 5]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, device, dtype)

    def forward(self, input: Tensor, hx=None):
        # indexed as torch does (not unpacked): a lone state tensor passed for (h0, c0) fails as there
        h0, c0 = (hx[0], hx[1]) if hx is not None else (None, None)
        output, (h, c) = self._run(input, [h0, c0])
        return output, (h, c)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n as torch); returns ``(output, h_n)``.

    >>> import kittygrad as kitty
    >>> out, h = kitty.nn.GRU(3, 5)(kitty.randn(7, 4, 3))
    >>> out.shape
    kittygrad.Size([7, 4, 5])
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None, **kwargs) -> None:
        _refuse_projections(kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        output, (h,) = self._run(input, [hx])
        return output, h


class RNNCellBase(Module):
    """What RNNCell, LSTMCell and GRUCell share: ``weight_ih``, ``weight_hh`` (and biases) of
    ``num_chunks`` gates, and one step of the fused recurrence.

    >>> import kittygrad as kitty
    >>> [n for n, _ in kitty.nn.RNNCellBase(2, 3, True, 4).named_parameters()]
    ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']
    """

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        for name, shape in _cell_parameters("", num_chunks, input_size, hidden_size, bias):
            self.register_parameter(name, None if shape is None else Parameter(C.empty(shape, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_reset(self)

    def extra_repr(self) -> str:
        return _settings_repr(self, f"{self.input_size}, {self.hidden_size}", _CELL_SHOWN)

    def _step(self, input: Tensor, states: list):
        # torch's messages name the base cell, whatever the subclass
        kind = {"LSTM": "LSTMCell", "GRU": "GRUCell"}.get(self._mode, "RNNCell")
        if input.ndim not in (1, 2):
            raise ValueError(f"{kind}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for i, h in enumerate(states):
            if h is not None and h.ndim not in (1, 2):
                which = f"hx[{i}]" if kind == "LSTMCell" else "hidden"
                raise ValueError(f"{kind}: Expected {which} to be 1D or 2D, got {h.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise KittyRuntimeError(
                f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}"
            )
        batched = input.ndim == 2
        x = (input if batched else input.unsqueeze(0)).unsqueeze(0)
        hs = []
        for i, h in enumerate(states):
            if h is None:
                hs.append(None)
                continue
            # an unbatched input's state gains the batch dim, whatever its rank (then checked as torch's
            # kernel does: its first dim against the batch, its second against hidden_size)
            h = h if batched else h.unsqueeze(0)
            if h.shape[0] != x.shape[1]:
                raise KittyRuntimeError(f"Input batch size {x.shape[1]} doesn't match hidden{i} batch size {h.shape[0]}")
            if h.ndim < 2:
                raise KittyIndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
            if h.shape[1] != self.hidden_size:
                raise KittyRuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, expected "
                                        f"{self.hidden_size}")
            hs.append(h.unsqueeze(0))
        params = [self.weight_ih, self.weight_hh] + ([self.bias_ih, self.bias_hh] if self.bias else [])
        # torch's cell runs linear(input, w_ih, b_ih), then linear(hx, w_hh, b_hh): an input or state
        # of another dtype than the weights (an integer one, say) fails there, in its words
        b_ih, b_hh = (self.bias_ih, self.bias_hh) if self.bias else (None, None)
        _check_linear_dtypes(x, self.weight_ih, b_ih)
        if hs[0] is not None:
            _check_linear_dtypes(hs[0], self.weight_hh, b_hh)
        if self._mode == "LSTM" and hs[1] is not None and hs[0] is not None and hs[1].dtype != self.weight_ih.dtype:
            # torch's cell adds c to its gates' products by plain arithmetic, so a c of another dtype
            # promotes (an integer c gives the weights' dtype, a float64 one float64), where the
            # fused kernel wants a single dtype
            h, c = _promoting_lstm_step(x[0], hs[0][0], hs[1][0], b_ih, b_hh, self)
            return [h, c] if batched else [h.squeeze(0), c.squeeze(0)]
        h0 = (hs[0], hs[1]) if self._mode == "LSTM" else hs[0]
        outs = _FN[self._mode](x, h0, params, self.bias, 1, 0.0, False, False, False)
        node = outs[1]._grad_fn
        if node is not None:
            # the order torch's backward reaches the weights (their hooks fire so): its cell is two
            # linears, each reaching its bias before its weight; the input's first (a GRU's: last)
            pair_ih, pair_hh = ((5, 3), (6, 4)) if self.bias else ((3,), (4,))
            node._leaf_order = (*pair_hh, *pair_ih, 1, 2, 0) if self._mode == "GRU" else (*pair_ih, *pair_hh, 1, 2, 0)
        result = [s[0] if batched else s[0, 0] for s in outs[1:]]
        # the nodes torch's cell ends in (a printed state shows them): h = o * tanh(c), c = f*c + i*g,
        # a GRU's h = n + z * (h - n), an Elman cell's activation; squeezed for an unbatched input
        labels = _CELL_NODES[self._mode] if batched else ("SqueezeBackward1",) * len(result)
        return [torch_named(r, label) for r, label in zip(result, labels)]


#: torch's last node of each state a cell returns, by mode
_CELL_NODES = {"LSTM": ("MulBackward0", "AddBackward0"), "GRU": ("AddBackward0",), "RNN_TANH": ("TanhBackward0",),
               "RNN_RELU": ("ReluBackward0",)}


def _promoting_lstm_step(x: Tensor, h: Tensor, c: Tensor, b_ih, b_hh, cell) -> tuple:
    """One LSTM step composed as torch's cell composes it (its ``MulBackward0``/``AddBackward0``
    results): the gates in the weights' dtype, the new c and h in that dtype promoted with c's."""
    gates = F.linear(x, cell.weight_ih, b_ih) + F.linear(h, cell.weight_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c1 = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c1.tanh(), c1


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.RNNCell(3, 4)(kitty.randn(2, 3)).shape
    kittygrad.Size([2, 4])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        # read at each call (as torch does), so an unknown nonlinearity fails here, not at
        # construction, and changing the attribute afterwards takes effect
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise KittyRuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._mode = modes[self.nonlinearity]
        return self._step(input, [hx])[0]


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``.

    >>> import kittygrad as kitty
    >>> h, c = kitty.nn.LSTMCell(3, 4)(kitty.randn(2, 3))
    >>> h.shape
    kittygrad.Size([2, 4])
    """

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        if isinstance(hx, Tensor) and input.ndim == 2:  # torch's kernel takes a batch's states as a pair only
            raise KittyTypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, not Tensor")
        # indexed as torch does (not unpacked): a lone state tensor passed for (h0, c0) fails as there
        h0, c0 = (hx[0], hx[1]) if hx is not None else (None, None)
        h, c = self._step(input, [h0, c0])
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step.

    >>> import kittygrad as kitty
    >>> kitty.nn.GRUCell(3, 4)(kitty.randn(2, 3)).shape
    kittygrad.Size([2, 4])
    """

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, [hx])[0]
