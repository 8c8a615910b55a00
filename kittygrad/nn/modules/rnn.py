"""RNN, LSTM, GRU (multi-layer, bidirectional, batch_first) and their cells.

A whole layer stack runs as one fused op (:class:`kittygrad.ops.nn.recurrent.Rnn`): the input
projections of all time steps are one matmul, and backward is backpropagation through time
inside that op.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ... import creation as C
from ...errors import KittyRuntimeError
from ...ops.nn import recurrent as _nnrec
from ...tensor import Tensor
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

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
    if proj_size != 0:
        raise NotImplementedError("proj_size is not supported by kittygrad's LSTM")


def _cell_parameters(suffix: str, gates: int, input_size: int, hidden_size: int, bias: bool) -> list:
    """``(name, shape)`` of one cell's weights in torch's order; shape None for an absent bias."""
    rows = gates * hidden_size
    return [
        (f"weight_ih{suffix}", (rows, input_size)),
        (f"weight_hh{suffix}", (rows, hidden_size)),
        (f"bias_ih{suffix}", (rows,) if bias else None),
        (f"bias_hh{suffix}", (rows,) if bias else None),
    ]


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
            in_size = input_size if layer == 0 else hidden_size * ndir
            for suffix in ("", "_reverse")[:ndir]:
                for name, shape in _cell_parameters(f"_l{layer}{suffix}", _GATES[mode], in_size, hidden_size, bias):
                    if shape is not None:  # a stack without bias has no bias names at all
                        setattr(self, name, Parameter(C.empty(*shape, dtype=dtype)))
                        self._flat_weights_names.append(name)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        per = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i : i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self) -> None:
        pass

    def reset_parameters(self) -> None:
        _uniform_reset(self)

    def extra_repr(self) -> str:
        return _settings_repr(self, f"{self.input_size}, {self.hidden_size}", _RNN_SHOWN)

    def _check(self, input: Tensor, hx: list) -> tuple:
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead")
        batched = input.ndim == 3
        if input.shape[-1] != self.input_size:
            raise KittyRuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}"
            )
        bdim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(bdim)
        n = input.shape[bdim]
        ndir = 2 if self.bidirectional else 1
        want = (self.num_layers * ndir, n, self.hidden_size)
        out = []
        for h in hx:
            if h is None:
                out.append(None)
                continue
            if batched and h.ndim != 3:
                raise KittyRuntimeError(f"For batched 3-D input, hx should also be 3-D but got {h.ndim}-D tensor")
            if not batched:
                if h.ndim != 2:
                    raise KittyRuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {h.ndim}-D tensor")
                h = h.unsqueeze(1)
            if tuple(h.shape) != want:
                raise KittyRuntimeError(f"Expected hidden size {want}, got {list(h.shape)}")
            out.append(h)
        return input, batched, out

    def _run(self, input: Tensor, hx: list):
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


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), stacked
    ``num_layers`` deep, optionally bidirectional. Returns ``(output, h_n)``.

    >>> import kittygrad as kitty
    >>> rnn = kitty.nn.RNN(3, 5, num_layers=2, batch_first=True)
    >>> out, h = rnn(kitty.randn(4, 7, 3))
    >>> out.shape, h.shape
    (kittygrad.Size([4, 7, 5]), kittygrad.Size([2, 4, 5]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None) -> None:
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

    >>> import kittygrad as kitty
    >>> lstm = kitty.nn.LSTM(3, 5, bidirectional=True)
    >>> out, (h, c) = lstm(kitty.randn(7, 4, 3))
    >>> out.shape, h.shape
    (kittygrad.Size([7, 4, 10]), kittygrad.Size([2, 4, 5]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, device, dtype)

    def forward(self, input: Tensor, hx=None):
        h0, c0 = hx if hx is not None else (None, None)
        output, (h, c) = self._run(input, [h0, c0])
        return output, (h, c)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n as torch); returns ``(output, h_n)``.

    >>> import kittygrad as kitty
    >>> out, h = kitty.nn.GRU(3, 5)(kitty.randn(7, 4, 3))
    >>> out.shape
    kittygrad.Size([7, 4, 5])
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        output, (h,) = self._run(input, [hx])
        return output, h


class _CellBase(Module):
    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        for name, shape in _cell_parameters("", num_chunks, input_size, hidden_size, bias):
            self.register_parameter(name, None if shape is None else Parameter(C.empty(*shape, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_reset(self)

    def extra_repr(self) -> str:
        return _settings_repr(self, f"{self.input_size}, {self.hidden_size}", _CELL_SHOWN)

    def _step(self, input: Tensor, states: list):
        if input.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise KittyRuntimeError(
                f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}"
            )
        batched = input.ndim == 2
        x = (input if batched else input.unsqueeze(0)).unsqueeze(0)
        hs = []
        for h in states:
            if h is None:
                hs.append(None)
                continue
            h = h if batched else h.unsqueeze(0)
            hs.append(h.unsqueeze(0))
        params = [self.weight_ih, self.weight_hh] + ([self.bias_ih, self.bias_hh] if self.bias else [])
        h0 = (hs[0], hs[1]) if self._mode == "LSTM" else hs[0]
        outs = _FN[self._mode](x, h0, params, self.bias, 1, 0.0, False, False, False)
        result = [s[0] if batched else s[0, 0] for s in outs[1:]]
        return result


class RNNCell(_CellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.RNNCell(3, 4)(kitty.randn(2, 3)).shape
    kittygrad.Size([2, 4])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, dtype)
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, [hx])[0]


class LSTMCell(_CellBase):
    """One LSTM step; returns ``(h', c')``.

    >>> import kittygrad as kitty
    >>> h, c = kitty.nn.LSTMCell(3, 4)(kitty.randn(2, 3))
    >>> h.shape
    kittygrad.Size([2, 4])
    """

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, dtype)

    def forward(self, input: Tensor, hx=None):
        h0, c0 = hx if hx is not None else (None, None)
        h, c = self._step(input, [h0, c0])
        return h, c


class GRUCell(_CellBase):
    """One GRU step.

    >>> import kittygrad as kitty
    >>> kitty.nn.GRUCell(3, 4)(kitty.randn(2, 3)).shape
    kittygrad.Size([2, 4])
    """

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, [hx])[0]
