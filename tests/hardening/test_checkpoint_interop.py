"""Hostile and damaged torch / safetensors files: each is refused with a SerializationError that
says what was wrong, no payload runs (the marker file it would create never appears, though
plain pickle does create it), and loading allocates nothing beyond a small multiple of the
file's size (tracemalloc), however large the sizes the file claims.
(tests/test_serialization_torch.py covers the formats themselves.)"""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import struct
import subprocess
import tracemalloc
import zipfile

import pytest
import torch

import kittygrad as kitty
from hardening._figures import record
from kittygrad.serialization import SerializationError

# ---------------------------------------------------------------------------------------------
# building blocks


def _archive(members: dict[str, bytes], compress=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _torch_bytes(obj, legacy=False) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _with_pickle(pkl: bytes) -> bytes:
    """A torch-shaped archive whose data.pkl is ``pkl``."""
    return _archive({"archive/data.pkl": pkl, "archive/byteorder": b"little", "archive/version": b"3\n"})


def _flip(blob: bytes, member: str) -> bytes:
    """``blob`` with one bit flipped in the middle of ``member``'s data."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        info = zf.getinfo(member)
    name_len, extra_len = struct.unpack_from("<HH", blob, info.header_offset + 26)
    pos = info.header_offset + 30 + name_len + extra_len + info.file_size // 2
    out = bytearray(blob)
    out[pos] ^= 0x10
    return bytes(out)


def _replace(blob: bytes, member: str, data: bytes) -> bytes:
    members = _members(blob)
    members[member] = data
    return _archive(members)


def _safetensors(header: dict | bytes, data: bytes, length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


class _Reduce:
    """An object whose unpickling calls ``fn(*args)``: the classic pickle payload."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _getattr_chain(marker: str) -> bytes:
    # getattr(__import__("os"), "system")("touch <marker>"), in protocol 0 opcodes
    return b"cbuiltins\ngetattr\n(cbuiltins\n__import__\n(S'os'\ntRS'system'\ntR(S'touch " + marker.encode() + b"'\ntR."


def _inst(marker: str) -> bytes:
    return b"(S'touch " + marker.encode() + b"'\nios\nsystem\n."


# ---------------------------------------------------------------------------------------------
# the catalogue: name -> (how to build the file from the marker path, words the error must contain)

_GOOD = {"w": torch.arange(6.0).reshape(2, 3), "n": torch.arange(4)}

PAYLOADS = {
    "os.system in data.pkl": (lambda m: _with_pickle(pickle.dumps({"w": _Reduce(os.system, f"touch {m}")}, protocol=2)), "system"),
    "builtins.eval in data.pkl": (lambda m: _with_pickle(pickle.dumps(_Reduce(eval, f"open({m!r}, 'w').close()"), protocol=2)), "builtins.eval"),
    "builtins.exec in data.pkl": (lambda m: _with_pickle(pickle.dumps(_Reduce(exec, f"open({m!r}, 'w').close()"), protocol=2)), "builtins.exec"),
    "subprocess.Popen in data.pkl": (lambda m: _with_pickle(pickle.dumps(_Reduce(subprocess.Popen, ["touch", m]), protocol=2)), "subprocess.Popen"),
    "subprocess.call, protocol 4 (STACK_GLOBAL)": (lambda m: _with_pickle(pickle.dumps(_Reduce(subprocess.call, ["touch", m]), protocol=4)), "subprocess.call"),
    "open in data.pkl": (lambda m: _with_pickle(pickle.dumps(_Reduce(open, m, "w"), protocol=2)), "open"),
    "getattr(__import__('os'), 'system')": (lambda m: _with_pickle(_getattr_chain(m)), "builtins.getattr"),
    "INST os.system (protocol 0)": (lambda m: _with_pickle(_inst(m)), "os.system"),
    "os.system as a raw pickle": (lambda m: pickle.dumps(_Reduce(os.system, f"touch {m}"), protocol=2), "system"),
    "os.system in a legacy stream": (lambda m: _torch_bytes(1, legacy=True)[:21] + pickle.dumps(_Reduce(os.system, f"touch {m}"), protocol=2), "system"),
    "os.system after a valid tensor": (lambda m: _with_pickle(pickle.dumps([1, _Reduce(os.system, f"touch {m}")], protocol=2)), "system"),
}  # fmt: skip


def _bomb() -> bytes:
    members = _members(_torch_bytes(_GOOD))
    members["archive/data/9"] = bytes(20_000_000)  # 20 MB of zeros, deflated to ~20 KB
    return _archive(members, compress=zipfile.ZIP_DEFLATED)


def _memo_skip() -> bytes:
    return _with_pickle(b"\x80\x02K\x01r\xff\xff\xff\x7f.")  # LONG_BINPUT 2**31-1: a 16 GB memo table


def _huge_bytes() -> bytes:
    return _with_pickle(b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"abc.")  # BINBYTES8 of 1 TB


def _huge_frame() -> bytes:
    return _with_pickle(b"\x80\x04\x95" + struct.pack("<Q", 1 << 50) + b"K\x01.")


def _lying_storage_length() -> bytes:
    blob = _torch_bytes({"w": torch.ones(4)})
    pkl = _members(blob)["archive/data.pkl"].replace(b"K\x04t", b"J\x00\x00\x00\x10t")  # numel 4 -> 2**28
    return _replace(blob, "archive/data.pkl", pkl)


def _tensor_past_storage() -> bytes:
    blob = _torch_bytes({"w": torch.ones(4)})
    pkl = _members(blob)["archive/data.pkl"].replace(b"K\x04\x85", b"J\x00\x00\x00\x40\x85", 1)  # size (4,) -> (2**30,)
    return _replace(blob, "archive/data.pkl", pkl)


def _overlapping() -> bytes:
    """Point the central-directory entry of data/1 at data/0's bytes (same length, same CRC needed not)."""
    blob = bytearray(_torch_bytes({"a": torch.ones(4), "b": torch.zeros(4)}))
    with zipfile.ZipFile(io.BytesIO(bytes(blob))) as zf:
        first = zf.getinfo("archive/data/0")
    entry = blob.index(b"archive/data/1", blob.index(b"PK\x01\x02")) - 46  # a central entry is 46 bytes + name
    assert blob[entry : entry + 4] == b"PK\x01\x02"
    struct.pack_into("<I", blob, entry + 42, first.header_offset)
    return bytes(blob)


def _legacy_truncated_storage() -> bytes:
    return _torch_bytes({"w": torch.ones(64)}, legacy=True)[:-40]


def _legacy_trailing() -> bytes:
    return _torch_bytes({"w": torch.ones(4)}, legacy=True) + b"\x00" * 16


def _deeply_nested() -> bytes:
    return _with_pickle(b"\x80\x02" + b"]" * 20_000 + b"a" * 19_999 + b".")


def _build_on_tensor() -> bytes:
    blob = _torch_bytes(torch.ones(1))
    pkl = _members(blob)["archive/data.pkl"]
    return _replace(blob, "archive/data.pkl", pkl[:-1] + b"}b.")  # BUILD with an empty dict, then STOP


DAMAGED = {
    "zip truncated in half": (lambda: _torch_bytes(_GOOD)[: len(_torch_bytes(_GOOD)) // 2], "zip"),
    "bit flip inside data.pkl (CRC)": (lambda: _flip(_torch_bytes(_GOOD), "archive/data.pkl"), "CRC"),
    "bit flip inside a storage (CRC)": (lambda: _flip(_torch_bytes(_GOOD), "archive/data/0"), "CRC"),
    "storage member missing": (lambda: _archive({k: v for k, v in _members(_torch_bytes(_GOOD)).items() if k != "archive/data/1"}), "has no"),
    "storage length lies": (_lying_storage_length, "bytes"),
    "tensor runs past its storage": (_tensor_past_storage, "runs past"),
    "deflated member (zip bomb)": (_bomb, "zip bomb"),
    "overlapping members": (_overlapping, "overlap"),
    "memo index skips to 2**31": (_memo_skip, "memo index"),
    "BINBYTES8 claims 1 TB": (_huge_bytes, "truncated"),
    "FRAME claims 1 PB": (_huge_frame, "frame"),
    "trailing bytes after data.pkl's STOP": (lambda: _with_pickle(b"\x80\x02K\x01.junk"), "unexpected bytes"),
    "BUILD sets __class__ on an OrderedDict": (lambda: _with_pickle(b"\x80\x02ccollections\nOrderedDict\n)R}X\t\x00\x00\x00__class__K\x01sb."), "_metadata"),
    "BUILD on a tensor": (_build_on_tensor, "state of a tensor"),
    "legacy: truncated storage": (_legacy_truncated_storage, "truncated"),
    "legacy: trailing bytes": (_legacy_trailing, "unexpected bytes"),
    "a pickle that is not a checkpoint": (lambda: pickle.dumps([1, 2, 3], protocol=2), "not a torch checkpoint"),
    "20,000 nested lists": (_deeply_nested, "nested too deeply"),
    "safetensors: header length beyond the file": (lambda: _safetensors({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, length=10_000), "safetensors"),
    "safetensors: header claims 1 TB": (lambda: _safetensors(b"{}", b"", length=1 << 40), "safetensors"),
    "safetensors: offsets past the data": (lambda: _safetensors({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}, b"\0" * 16), "safetensors"),
    "safetensors: dtype lies about the size": (lambda: _safetensors({"w": {"dtype": "F64", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 16), "safetensors"),
    "safetensors: overlapping tensors": (lambda: _safetensors({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 16), "safetensors"),
    "safetensors: shape product overflows": (lambda: _safetensors({"w": {"dtype": "F32", "shape": [1 << 62, 1 << 62], "data_offsets": [0, 16]}}, b"\0" * 16), "safetensors"),
    "safetensors: header is not JSON": (lambda: _safetensors(b"{not json at all", b""), "safetensors"),
    "safetensors: dtype kittygrad lacks (F8_E4M3)": (lambda: _safetensors({"w": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}, b"\0" * 4), "F8_E4M3"),
}  # fmt: skip

_tried = [0]


def _load_guarded(path, file_size: int):
    """kitty.load under tracemalloc: returns the exception and the peak allocation."""
    tracemalloc.start()
    try:
        kitty.load(path)
    except SerializationError as e:
        err = e
    else:
        err = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert err is not None, "the file loaded"
    # the file is read (a few copies) and each pickle opcode builds at most one small object
    assert peak < 100 * file_size + (4 << 20), f"peak allocation {peak} bytes for a {file_size}-byte file"
    return err


@pytest.mark.parametrize("case", sorted(PAYLOADS))
def test_pickle_payloads_never_run(case, tmp_path):
    marker = tmp_path / "pwned"
    build, words = PAYLOADS[case]
    blob = build(str(marker))
    if not case.startswith("os.system in a legacy"):  # sanity: plain pickle does run the payload
        pkl = _members(blob)["archive/data.pkl"] if blob[:2] == b"PK" else blob
        result = pickle.loads(pkl)
        if isinstance(result, subprocess.Popen):
            result.wait()
        if hasattr(result, "close"):
            result.close()
        assert marker.exists(), "the payload should work when unpickled naively"
        marker.unlink()
    path = tmp_path / "evil.pt"
    path.write_bytes(blob)
    for kwargs in ({}, {"weights_only": False}, {"mmap": blob[:2] == b"PK"}):
        tracemalloc.start()
        try:
            with pytest.raises(SerializationError) as info:
                kitty.load(path, **kwargs)
        finally:
            tracemalloc.stop()
        assert words in str(info.value) and "allow-list" in str(info.value), str(info.value)
    assert not marker.exists()
    _tried[0] += 1


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_and_lying_files_are_refused(case, tmp_path):
    build, words = DAMAGED[case]
    blob = build()
    path = tmp_path / ("bad.safetensors" if case.startswith("safetensors") else "bad.pt")
    path.write_bytes(blob)
    err = _load_guarded(path, len(blob))
    assert words.lower() in str(err).lower(), str(err)
    _tried[0] += 1


def test_catalogue_size():
    assert len(PAYLOADS) + len(DAMAGED) >= 20
    record(
        "checkpoint interop: hostile/damaged torch & safetensors files",
        f"{len(PAYLOADS)} payloads + {len(DAMAGED)} damaged, all refused",
    )


def test_truncations_and_bit_flips_of_a_torch_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2))
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(4, 6)).sum().backward()
    opt.step()
    blob = _torch_bytes({"model": model.state_dict(), "opt": opt.state_dict()})
    good = tmp_path / "good.pt"
    good.write_bytes(blob)
    reference = _flat(kitty.load(good))
    rng = random.Random(0)
    bad = tmp_path / "bad.pt"
    cuts = sorted({rng.randrange(len(blob)) for _ in range(60)} | {0, 1, 4, 30, len(blob) - 1})
    for cut in cuts:
        bad.write_bytes(blob[:cut])
        with pytest.raises(SerializationError):
            kitty.load(bad)
    refused = harmless = 0
    for _ in range(200):
        data = bytearray(blob)
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        bad.write_bytes(bytes(data))
        try:
            got = kitty.load(bad)
        except SerializationError:
            refused += 1
            continue
        # zip fields nobody reads (timestamps, the local copy of the CRC, padding) may change freely
        assert _flat(got) == reference
        harmless += 1
    assert refused > 100 and refused + harmless == 200
    record(
        "checkpoint interop: damaged torch.save files",
        f"{len(cuts)} truncations all refused; 200 bit flips: {refused} refused, {harmless} in fields nothing reads (loaded identical)",
    )


def _flat(obj):
    if isinstance(obj, kitty.Tensor):
        return (str(obj.dtype), tuple(obj.shape), obj.detach().numpy().tobytes())
    if isinstance(obj, dict):
        return {k: _flat(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_flat(v) for v in obj]
    return obj
