"""Variable-length batches for recurrent layers (torch.nn.utils.rnn): ``PackedSequence`` and the
functions that pad, pack and unpack sequences.

A packed batch stores the sequences sorted by decreasing length and interleaved by time step:
``data`` holds step 0 of every sequence, then step 1 of those still running, and so on;
``batch_sizes[t]`` says how many sequences are running at step ``t``. Every conversion here is an
index gather, so gradients flow back to the padded (or listed) inputs.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ... import backend as B
from ... import creation as C
from ... import dtypes as D
from ...errors import KittyRuntimeError
from ...ops import joining as _joining
from ...ops._prep import torch_named
from ...ops.nn.padding import PadSequence
from ...tensor import Tensor

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence", "invert_permutation"]


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation`` (None stays None).

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils.rnn import invert_permutation
    >>> invert_permutation(kitty.tensor([2, 0, 1]))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    return permutation.argsort()


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """A packed batch of variable-length sequences (a named tuple of ``data``, ``batch_sizes``,
    ``sorted_indices``, ``unsorted_indices``), as ``pack_padded_sequence`` makes it and RNN, LSTM
    and GRU take it. ``sorted_indices`` maps sorted positions to the original batch order (None
    when the batch was already sorted).

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils.rnn import pack_sequence
    >>> pack_sequence([kitty.tensor([1, 2, 3]), kitty.tensor([4, 5])])
    PackedSequence(data=tensor([1, 4, 2, 5, 3]), batch_sizes=tensor([2, 2, 1]), sorted_indices=None, unsorted_indices=None)
    """

    def __new__(cls, data, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None):
        inverse = unsorted_indices if unsorted_indices is not None else invert_permutation(sorted_indices)
        if batch_sizes is None:  # the legacy form: PackedSequence((data, batch_sizes))
            if isinstance(data, (list, tuple)) and len(data) == 2:
                data, batch_sizes = data
            else:
                raise AssertionError("Expected data to be a list or tuple of length 2")
        if not isinstance(batch_sizes, Tensor):
            raise TypeError(f"PackedSequence: batch_sizes should be a Tensor, got {type(batch_sizes).__name__}")
        return super().__new__(cls, data, batch_sizes, sorted_indices, inverse)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data.to(...)`` (the batch sizes and indices stay int64); ``self`` when nothing changes.

        >>> import kittygrad as kitty
        >>> from kittygrad.nn.utils.rnn import pack_sequence
        >>> pack_sequence([kitty.ones(2), kitty.ones(1)]).to(kitty.float64).data.dtype
        kittygrad.float64
        """
        moved = self.data.to(*args, **kwargs)
        return self if moved is self.data else self._replace(data=moved)

    def cpu(self) -> PackedSequence:
        """The sequence on the CPU (itself: kittygrad runs there)."""
        return self.to("cpu")

    def cuda(self, *args, **kwargs) -> PackedSequence:
        """Refused as ``Tensor.to('cuda')`` is: kittygrad has no GPU backend."""
        return self.to("cuda")

    def double(self) -> PackedSequence:
        """``data`` as float64."""
        return self.to(dtype=D.float64)

    def float(self) -> PackedSequence:
        """``data`` as float32."""
        return self.to(dtype=D.float32)

    def half(self) -> PackedSequence:
        """``data`` as float16."""
        return self.to(dtype=D.float16)

    def long(self) -> PackedSequence:
        """``data`` as int64."""
        return self.to(dtype=D.int64)

    def int(self) -> PackedSequence:
        """``data`` as int32."""
        return self.to(dtype=D.int32)

    def short(self) -> PackedSequence:
        """``data`` as int16."""
        return self.to(dtype=D.int16)

    def char(self) -> PackedSequence:
        """``data`` as int8."""
        return self.to(dtype=D.int8)

    def byte(self) -> PackedSequence:
        """``data`` as uint8."""
        return self.to(dtype=D.uint8)

    @property
    def is_cuda(self) -> bool:
        """False: kittygrad's tensors live on the CPU."""
        return False

    def is_pinned(self) -> bool:
        """False: kittygrad has no pinned memory."""
        return False


def _index(values) -> Tensor:
    """An int64 index tensor from an integer array or list."""
    return C.tensor(B.xp.asarray(values, dtype=B.xp.int64).reshape(-1))


def _lengths_list(lengths) -> list:
    """``lengths`` (a list or a tensor) as a list of ints, checked as torch checks it."""
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise KittyRuntimeError(
                f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.ndim}D cpu Long tensor"
            )
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _batch_sizes(lengths: list) -> list:
    """How many of the (sorted) sequences run at each time step."""
    return [sum(1 for n in lengths if n > t) for t in range(lengths[0])]


def _offsets(sizes: list) -> list:
    """Where each time step starts in packed data."""
    out = [0]
    for n in sizes:
        out.append(out[-1] + n)
    return out


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) whose sequence ``b``
    has ``lengths[b]`` valid steps. Unless ``enforce_sorted``, the lengths may come in any order.

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils.rnn import pack_padded_sequence
    >>> x = kitty.tensor([[1, 2, 0], [3, 0, 0]])
    >>> pack_padded_sequence(x, [2, 1], batch_first=True).data
    tensor([1, 3, 2])
    """
    lengths = _lengths_list(lengths)
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise KittyRuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if "
                "you do not need ONNX exportability."
            )
        sorted_indices = None
    else:
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # stable, as torch's sort here
        sorted_indices = _index(order)
        lengths = [lengths[i] for i in order]
    x = input.transpose(0, 1) if batch_first else input
    if len(lengths) != x.shape[1]:
        raise KittyRuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} (batch_size={x.shape[1]})"
        )
    if lengths and lengths[-1] <= 0:
        raise KittyRuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if lengths and lengths[0] > x.shape[0]:
        raise KittyRuntimeError(
            f"pack_padded_sequence: a length of {lengths[0]} exceeds the {x.shape[0]} steps of the padded input"
        )
    if sorted_indices is not None:
        x = x.index_select(1, sorted_indices)
    sizes = _batch_sizes(lengths)
    n = x.shape[1]
    rows = [t * n + b for t, size in enumerate(sizes) for b in range(size)]
    data = x.reshape(x.shape[0] * n, *x.shape[2:]).index_select(0, _index(rows))
    # (the gathers here are torch's one packing op)
    return PackedSequence(torch_named(data, "PackPaddedSequenceBackward0"), _index(sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: the padded batch (``(T, B, *)``, or ``(B, T, *)`` with
    ``batch_first``; ``T`` is ``total_length`` if given) and each sequence's length, in the
    original batch order.

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils.rnn import pack_sequence, pad_packed_sequence
    >>> pad_packed_sequence(pack_sequence([kitty.tensor([1, 2]), kitty.tensor([3])]), batch_first=True)
    (tensor([[1, 2],
            [3, 0]]), tensor([2, 1]))
    """
    data, batch_sizes, _, unsorted_indices = sequence
    sizes = [int(v) for v in batch_sizes.tolist()]
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {steps}"
            )
        steps = total_length
    n = sizes[0]
    # the batch columns are gathered straight into the caller's order (sorted position per column)
    order = range(n) if unsorted_indices is None else unsorted_indices.tolist()
    offsets = _offsets(sizes)
    pad_row = offsets[-1]  # the index of the padding row appended below
    rows = [offsets[t] + b if t < len(sizes) and b < sizes[t] else pad_row for t in range(steps) for b in order]
    padding = C.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded = _joining.cat([data, padding], 0).index_select(0, _index(rows)).reshape(steps, n, *data.shape[1:])
    lengths = [sum(1 for size in sizes if size > b) for b in order]
    if batch_first:
        padded = padded.transpose(0, 1)
    # named as torch's last op: its unpacking writes the steps into a buffer (CopySlices), transposed
    # for batch_first, then index_select puts an unsorted batch back in order
    label = "IndexSelectBackward0" if unsorted_indices is not None else "TransposeBackward0" if batch_first else "CopySlices"
    return torch_named(padded, label), _index(lengths)


def pad_sequence(sequences: Tensor | Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shape ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with
    ``batch_first``), filling with ``padding_value`` after each (or before, ``padding_side='left'``).

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils.rnn import pad_sequence
    >>> pad_sequence([kitty.tensor([1, 2]), kitty.tensor([3])], batch_first=True)
    tensor([[1, 2],
            [3, 0]])
    """
    if padding_side not in ("left", "right"):
        raise KittyRuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if not sequences:
        raise KittyRuntimeError("received an empty list of sequences")
    first = sequences[0]
    rest = first._data.shape[1:]
    dtype = first.dtype
    for i, s in enumerate(sequences):
        if s._data.ndim == 0:
            raise KittyRuntimeError(f"ArrayRef: invalid slice, N = 1; size = 0 (sequence {i} is 0-dimensional)")
        if s._data.shape[1:] != rest:
            for dim, (want, got) in enumerate(zip(rest, s._data.shape[1:]), start=1):
                if want != got:
                    raise KittyRuntimeError(
                        f"The size of tensor a ({want}) must match the size of tensor b ({got}) at non-singleton "
                        f"dimension {dim}"
                    )
            # a sequence of another rank is broadcast into its place, as torch's copy_ does (or refused)
            sequences[i] = s = s.expand(s._data.shape[0], *rest)
        if s.dtype is not dtype:  # the output takes the first sequence's dtype, as torch's
            sequences[i] = s.to(dtype)
    fill = C.full((), padding_value, dtype=dtype)._data  # (full's rules for the value: an int dtype's range)
    out = PadSequence.apply(*sequences, fill=fill, batch_first=batch_first, left=padding_side == "left")
    # (torch copies the sequences into a filled buffer: CopySlices)
    return torch_named(out, "CopySlices")


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shape ``(L_i, *)`` (by decreasing length unless
    ``enforce_sorted=False``).

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils.rnn import pack_sequence
    >>> pack_sequence([kitty.tensor([1]), kitty.tensor([2, 3])], enforce_sorted=False).batch_sizes
    tensor([2, 1])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences (``lengths`` a tensor or a list).

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils.rnn import unpad_sequence
    >>> unpad_sequence(kitty.tensor([[1, 2], [3, 0]]), kitty.tensor([2, 1]), batch_first=True)
    [tensor([1, 2]), tensor([3])]
    """
    if not batch_first:  # in place, as torch's: the caller's tensor is left batch-first (a leaf refuses)
        padded_sequences.transpose_(0, 1)
    batch = padded_sequences
    # (torch picks each sequence's steps by a mask: IndexBackward0)
    return [torch_named(seq[:n], "IndexBackward0") for seq, n in zip(batch.unbind(0), _lengths_list(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a ``PackedSequence`` holds, in the original order.

    >>> import kittygrad as kitty
    >>> from kittygrad.nn.utils.rnn import pack_sequence, unpack_sequence
    >>> unpack_sequence(pack_sequence([kitty.tensor([1, 2]), kitty.tensor([3])]))
    [tensor([1, 2]), tensor([3])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
