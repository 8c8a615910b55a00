"""kitty.save / kitty.load: exact round trips, safe loading, atomic writes."""
import collections
import copy
import io
import json
import math
import os
import pathlib
import pickle
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from _hypothesis_budget import examples
from hypothesis import strategies as st

import kittygrad as kitty
from kittygrad import optim
from kittygrad.serialization import SerializationError, load, save

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _roundtrip(obj):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf)


def _bits(t):
    a = t.detach().numpy()
    return a.dtype, a.shape, a.tobytes()


SPECIAL = {
    "float16": np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 6.1e-5, 1e-7, 65504.0], dtype=np.float16),
    "float32": np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38, 1 / 3], dtype=np.float32),
    "float64": np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1.7e308, 1 / 3], dtype=np.float64),
    "int8": np.array([-128, 127, 0], dtype=np.int8),
    "int16": np.array([-32768, 32767], dtype=np.int16),
    "int32": np.array([-(2**31), 2**31 - 1], dtype=np.int32),
    "int64": np.array([-(2**63), 2**63 - 1, 0], dtype=np.int64),
    "uint8": np.array([0, 255], dtype=np.uint8),
    "bool": np.array([True, False, True]),
}


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_tensor_bit_exact_every_dtype(name):
    arr = SPECIAL[name]
    if arr.dtype.kind == "f":  # a NaN with a payload must survive too
        raw = arr.view(f"u{arr.itemsize}").copy()
        raw[4] |= 1
        arr = raw.view(arr.dtype)
    t = kitty.from_numpy(arr.copy())
    out = _roundtrip(t)
    assert isinstance(out, kitty.Tensor) and out.dtype == t.dtype
    assert _bits(out) == _bits(t)
    assert out.requires_grad is False


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (1,), (2, 3, 4), (1000, 7)])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_tensor_shapes_and_requires_grad(shape, requires_grad):
    rng = np.random.default_rng(0)
    t = kitty.tensor(rng.normal(size=shape).astype(np.float32), requires_grad=requires_grad)
    out = _roundtrip(t)
    assert out.shape == t.shape and out.requires_grad is requires_grad and out.is_leaf
    assert _bits(out) == _bits(t)
    out.numpy(force=True)  # writable, independent memory
    assert out._data.flags.writeable


def test_non_contiguous_and_non_leaf_tensors():
    base = kitty.arange(12.0).reshape(3, 4)
    t = base.t()
    assert not t.is_contiguous()
    out = _roundtrip(t)
    assert out.tolist() == t.tolist()
    a = kitty.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    out = _roundtrip(b)
    assert out.tolist() == [2.0, 4.0] and out.requires_grad and out.is_leaf and out.grad_fn is None


def test_nested_plain_values_round_trip():
    obj = {
        "none": None,
        "bools": [True, False],
        "ints": (0, -1, 2**100, -(2**70)),
        "floats": [0.1, -0.0, math.inf, -math.inf, 1e-310, 1.7976931348623157e308],
        "nan": math.nan,
        "text": "héllo ✓ \x00 \n",
        "raw": b"\x00\xff bytes",
        "empty": [[], (), {}],
        1: "int key",
        2.5: "float key",
        (1, "a", None): "tuple key",
        None: "none key",
        "od": collections.OrderedDict([("b", 1), ("a", 2)]),
        "counter": collections.Counter([3, 3, 7]),
        "dtype": kitty.float64,
        "size": kitty.zeros(2, 3).shape,
        "nested": {"deeper": [{"x": (1, [2, (3,)])}]},
        "np": np.arange(6, dtype=np.int32).reshape(2, 3),
        "npscalar": np.float32(1.5),
    }
    out = _roundtrip(obj)
    assert list(out) == list(obj)
    for k in obj:
        if k in ("nan", "np", "npscalar", "floats"):
            continue
        assert out[k] == obj[k] and type(out[k]) is type(obj[k]), k
    assert math.isnan(out["nan"])
    assert [repr(x) for x in out["floats"]] == [repr(x) for x in obj["floats"]]  # -0.0 stays -0.0
    assert type(out["od"]) is collections.OrderedDict and list(out["od"]) == ["b", "a"]
    assert type(out["counter"]) is collections.Counter
    assert out["dtype"] is kitty.float64 and isinstance(out["size"], kitty.Size)
    assert out["np"].dtype == np.int32 and out["np"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert type(out["npscalar"]) is np.float32 and out["npscalar"] == 1.5
    assert type(out["ints"]) is tuple and out["ints"][2] == 2**100


def test_shared_tensor_is_stored_once():
    t = kitty.randn(1000)
    buf = io.BytesIO()
    save({"a": t, "b": [t, t]}, buf)
    single = io.BytesIO()
    save({"a": t}, single)
    assert len(buf.getvalue()) < len(single.getvalue()) + 200
    buf.seek(0)
    out = load(buf)
    assert out["a"] is out["b"][0] is out["b"][1]


def _shared_memory_sample(lib):
    x = lib.arange(12.0).reshape(3, 4)
    p = lib.nn.Parameter(lib.arange(6.0).reshape(2, 3))
    return {
        "x": x, "row": x[1], "col": x[:, 2], "t": x.t(), "det": x.detach(), "p": p, "p_again": p,
        "p_slice": p.data[1:], "wide": lib.ones(3)[:, None].expand(3, 4), "empty": x[3:], "half": x.to(lib.bfloat16),
        "as_ints": lib.arange(4, dtype=lib.float32).view(lib.int32),
    }


def _after_writes(lib, out):
    """Writes through one loaded tensor, and what every loaded tensor then reads."""
    out["x"][1, 2] = 100.0
    with lib.no_grad():
        out["p"][1, 0] = -1.0
    return {k: (tuple(v.shape), v.stride(), v.tolist(), type(v).__name__, v.requires_grad) for k, v in out.items()}


def test_views_load_sharing_memory_as_in_torch():
    """Tensors that shared memory when saved share it when loaded (torch's storages do): a write
    through one shows in the others, strides come back, and the owner is written only once."""
    import torch

    def round_trip(lib, obj):
        buf = io.BytesIO()
        lib.save(obj, buf)
        buf.seek(0)
        return lib.load(buf)

    mine = round_trip(kitty, _shared_memory_sample(kitty))
    theirs = round_trip(torch, _shared_memory_sample(torch))
    assert _after_writes(kitty, mine) == _after_writes(torch, theirs)
    assert mine["p"] is mine["p_again"] and mine["det"] is not mine["x"]
    # the views add their places, not their values: the file holds the 1,000 floats once
    whole, with_views = io.BytesIO(), io.BytesIO()
    save({"x": kitty.zeros(1000)}, whole)
    base = kitty.zeros(1000)
    save({"x": base, "a": base[10:], "b": base[::2], "c": base.view(10, 100).t()}, with_views)
    assert len(with_views.getvalue()) < len(whole.getvalue()) + 1000  # (copies would add 10,000 bytes)


def test_loaded_tensors_own_their_storage():
    """Each loaded array owns its memory (not the file's buffer), so storage queries read as torch's."""
    buf = io.BytesIO()
    table = kitty.arange(24.0).reshape(4, 6)
    save({"step": 7, "table": table, "column": table[:, 2], "bias": kitty.ones(3)}, buf)
    buf.seek(0)
    out = load(buf)
    assert [out[k].storage_offset() for k in ("table", "column", "bias")] == [0, 2, 0]
    assert [out[k].untyped_storage().nbytes() for k in ("table", "column", "bias")] == [96, 96, 12]


def _view_node(meta):
    """The header node of the sample's saved view (see _view_sample_bytes)."""
    return next(node for key, node in meta["root"]["v"] if key["v"] == "v")


def _view_sample_bytes():
    buf = io.BytesIO()
    x = kitty.arange(6.0)
    save({"x": x, "v": x[1:].reshape(5, 1)[::2]}, buf)
    return buf.getvalue()


@pytest.mark.parametrize("view", [
    [0, [7], [1]], [5, [2], [1]], [1, [3], [3]], [-1, [2], [1]], [0, [2], [-1]], [0, [2, 2], [1]],
    [0, [2]], "x", [0, [2.0], [1]], [True, [2], [1]],
])
def test_tampered_views_are_rejected(view):
    def edit(meta):
        _view_node(meta)["view"] = view

    with pytest.raises(SerializationError):
        load(io.BytesIO(_reseal(_view_sample_bytes(), edit)))


def test_view_sample_is_valid_and_its_number_is_checked():
    out = load(io.BytesIO(_view_sample_bytes()))
    assert out["v"].tolist() == [[1.0], [3.0], [5.0]]

    def edit(meta):
        _view_node(meta)["k"] = "0"

    with pytest.raises(SerializationError):
        load(io.BytesIO(_reseal(_view_sample_bytes(), edit)))


def test_files_without_tensor_numbers_still_load():
    """Files written before views were kept carry no tensor numbers: one tensor per array."""

    def drop_numbers(meta):
        for _, node in meta["root"]["v"]:
            node.pop("k", None)

    out = load(io.BytesIO(_reseal(_sample_bytes(), drop_numbers)))
    assert out["w"].tolist() == [[1.0, 2.0], [3.0, 4.0]] and out["b"].tolist() == [True]


def _train(opt_cls, params, steps, **kw):
    x = kitty.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
    opt = opt_cls(params, **kw)
    for _ in range(steps):
        opt.zero_grad()
        ((x @ params[0]).tanh() ** 2).sum().backward()
        opt.step()
    return opt


def test_optimizer_and_scheduler_checkpoint_resume(tmp_path):
    w0 = np.random.default_rng(0).normal(size=(3, 2))
    # reference: 12 uninterrupted steps with a scheduler
    ref = [kitty.tensor(w0, requires_grad=True)]
    ref_opt = optim.Adam(ref, lr=0.05, amsgrad=True)
    ref_s = optim.lr_scheduler.MultiStepLR(ref_opt, milestones=[3, 8], gamma=0.5)
    x = kitty.tensor(np.linspace(-1, 1, 12).reshape(4, 3))

    def step(params, opt, sched):
        opt.zero_grad()
        ((x @ params[0]).tanh() ** 2).sum().backward()
        opt.step()
        sched.step()

    for _ in range(12):
        step(ref, ref_opt, ref_s)
    # 5 steps, save everything, restore into fresh objects, 7 more
    p = [kitty.tensor(w0, requires_grad=True)]
    o = optim.Adam(p, lr=0.05, amsgrad=True)
    s = optim.lr_scheduler.MultiStepLR(o, milestones=[3, 8], gamma=0.5)
    for _ in range(5):
        step(p, o, s)
    path = tmp_path / "ckpt.kg"
    save({"model": {"w": p[0]}, "optim": o.state_dict(), "sched": s.state_dict(), "epoch": 5}, path)
    ck = load(path)
    q = [ck["model"]["w"]]
    assert q[0].requires_grad and q[0].is_leaf
    o2 = optim.Adam(q, lr=0.05, amsgrad=True)
    s2 = optim.lr_scheduler.MultiStepLR(o2, milestones=[3, 8], gamma=0.5)
    s2.load_state_dict(ck["sched"])
    o2.load_state_dict(ck["optim"])
    assert ck["epoch"] == 5 and isinstance(ck["sched"]["milestones"], collections.Counter)
    for _ in range(7):
        step(q, o2, s2)
    assert _bits(q[0]) == _bits(ref[0])
    assert s2.get_last_lr() == ref_s.get_last_lr()


def test_reduce_on_plateau_state_has_infinities():
    o = optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1)
    s = optim.lr_scheduler.ReduceLROnPlateau(o)
    sd = _roundtrip(s.state_dict())
    assert sd["best"] == math.inf and sd == s.state_dict()


def test_paths_and_file_objects(tmp_path):
    obj = {"w": kitty.ones(3), "n": 1}
    p = tmp_path / "a.kg"
    save(obj, p)  # pathlib
    assert load(str(p))["n"] == 1  # str
    save(obj, str(tmp_path / "b.kg"))
    with open(tmp_path / "c.kg", "wb") as f:  # open file object
        save(obj, f)
        save(obj, f)  # two objects back to back in one stream
    with open(tmp_path / "c.kg", "rb") as f:
        data = f.read()
    half = len(data) // 2
    assert load(io.BytesIO(data[:half]))["w"].tolist() == [1.0, 1.0, 1.0]
    assert sorted(os.listdir(tmp_path)) == ["a.kg", "b.kg", "c.kg"]  # no temporary files left
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(p).st_mode & 0o777 == 0o666 & ~mask


def test_load_arguments_for_torch_compatibility():
    buf = io.BytesIO()
    save(kitty.ones(2), buf)
    for kw in [dict(map_location="cpu"), dict(map_location=lambda s, loc: s), dict(map_location={"cuda:0": "cpu"}),
               dict(weights_only=True), dict(weights_only=False), dict(mmap=False)]:
        buf.seek(0)
        assert load(buf, **kw).tolist() == [1.0, 1.0]
    buf.seek(0)
    with pytest.raises(RuntimeError, match="CPU only"):
        load(buf, map_location="cuda")


class Custom:
    pass


@pytest.mark.parametrize(
    "obj",
    [object(), Custom(), lambda: 0, {1, 2}, collections.defaultdict(list), collections.namedtuple("P", "x")(1),
     {"ok": 1, "bad": [Custom()]}, {Custom(): 1}, {frozenset(): 1}, print, 1 + 2j, np.array(["a"]),
     np.array([1], dtype=np.uint16)],
    ids=["object", "custom", "lambda", "set", "defaultdict", "namedtuple", "nested", "key", "frozenset-key",
         "builtin", "complex", "str-array", "uint16-array"],
)
def test_unsupported_objects_raise_type_error_before_writing(obj, tmp_path):
    path = tmp_path / "ck.kg"
    save({"v": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError) as e:
        save(obj, path)
    assert "kittygrad.save" in str(e.value)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.kg"]


def test_cycles_and_depth_are_rejected():
    a = []
    a.append(a)
    with pytest.raises(ValueError, match="cycle"):
        _roundtrip(a)
    deep = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ValueError, match="nested"):
        _roundtrip(deep)
    same = [1]
    assert _roundtrip([same, same]) == [[1], [1]]  # repeated (not cyclic) containers are fine


# ---- bad files -------------------------------------------------------------------------------------
def _sample_bytes():
    buf = io.BytesIO()
    save({"w": kitty.tensor([[1.0, 2.0], [3.0, 4.0]]), "step": 3, "name": "x", "b": kitty.tensor([True])}, buf)
    return buf.getvalue()


def test_every_truncation_is_rejected():
    data = _sample_bytes()
    for n in range(len(data)):
        with pytest.raises(SerializationError):
            load(io.BytesIO(data[:n]))
    assert load(io.BytesIO(data))["step"] == 3


def test_every_single_byte_corruption_is_rejected():
    data = bytearray(_sample_bytes())
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x41
        with pytest.raises(SerializationError):
            load(io.BytesIO(bytes(bad)))


def test_appended_garbage_is_rejected():
    with pytest.raises(SerializationError):
        load(io.BytesIO(_sample_bytes() + b"\x00"))


def _reseal(data: bytes, edit) -> bytes:
    """Rewrite the header with ``edit(meta)`` and a fresh checksum: a tampered file that passes
    the integrity check, to exercise the structural validation."""
    import hashlib

    magic, version, hlen = struct.unpack("<8sIQ", data[:20])
    meta = json.loads(data[20 : 20 + hlen])
    start = 20 + hlen
    start += -start % 64
    payload = data[start:-32]
    edit(meta)
    header = json.dumps(meta).encode()
    new_start = 20 + len(header)
    pad = -new_start % 64
    body = struct.pack("<8sIQ", magic, version, len(header)) + header + b"\x00" * pad + payload
    return body + hashlib.sha256(body).digest()


def _set(path, value):
    def edit(meta):
        node = meta
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value

    return edit


TAMPER = {
    "object-dtype": _set(["arrays", 0, "dtype"], "object"),
    "bad-shape": _set(["arrays", 0, "shape"], [3, 3]),
    "negative-shape": _set(["arrays", 0, "shape"], [-2, -2]),
    "offset-out-of-file": _set(["arrays", 0, "offset"], 1 << 40),
    "unaligned-offset": _set(["arrays", 0, "offset"], 3),
    "array-index": _set(["root", "v", 0, 1, "i"], 99),
    "array-index-type": _set(["root", "v", 0, 1, "i"], [0]),
    "unknown-node": _set(["root", "v", 1, 1], {"t": "pickle", "v": "cos\nsystem\n(S'echo hi'\ntR."}),
    "code-node": _set(["root", "v", 1, 1], {"t": "eval", "v": "__import__('os')"}),
    "extra-key": _set(["root", "v", 1, 1, "extra"], 1),
    "grad-on-bool": _set(["root", "v", 3, 1, "requires_grad"], True),
    "int-as-str": _set(["root", "v", 1, 1, "v"], "3"),
    "format": _set(["format"], "torch"),
    "version": _set(["version"], 2),
    "data-size": _set(["data_size"], 10**12),
    "root-list": _set(["root"], []),
    "dict-key-list": _set(["root", "v", 0, 0], {"t": "list", "v": []}),
    "dtype-name": _set(["root", "v", 2, 1], {"t": "dtype", "v": "object"}),
    "metadata-on-dict": _set(["root", "m"], {"t": "dict", "v": []}),
}


@pytest.mark.parametrize("name", sorted(TAMPER))
def test_tampered_structure_is_rejected(name):
    data = _reseal(_sample_bytes(), TAMPER[name])
    with pytest.raises(SerializationError):
        load(io.BytesIO(data))


def test_reseal_helper_keeps_valid_files_valid():
    assert load(io.BytesIO(_reseal(_sample_bytes(), lambda m: None)))["step"] == 3


def _payload(marker):
    """A pickle whose loading would create ``marker``."""

    class Evil:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').close()",))

    return pickle.dumps({"state": Evil()})


def test_malicious_pickle_is_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    blob = _payload(marker)
    # sanity: the payload does work when unpickled
    pickle.loads(blob)
    assert marker.exists()
    marker.unlink()
    for name, data in {
        "plain.pkl": blob,
        "proto0.pkl": pickle.dumps([1, 2], protocol=0),
    }.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(SerializationError, match="pickle"):
            load(tmp_path / name, weights_only=False)
    # a torch.save-style zip archive with the payload as data.pkl
    z = tmp_path / "model.pt"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("archive/data.pkl", blob)
        zf.writestr("archive/version", "3\n")
    with pytest.raises(SerializationError, match="builtins.exec"):  # read by the restricted unpickler, refused
        load(z, weights_only=False)
    # the kittygrad magic followed by the payload
    fake = tmp_path / "fake.kg"
    fake.write_bytes(b"KITTYGRD" + struct.pack("<IQ", 1, len(blob)) + blob + b"\x00" * 32)
    with pytest.raises(SerializationError):
        load(fake)
    assert not marker.exists()


def test_foreign_files_are_rejected_clearly(tmp_path):
    import torch

    tp = tmp_path / "t.pt"
    torch.save({"w": torch.ones(2)}, tp)
    assert load(tp)["w"].tolist() == [1.0, 1.0]  # torch's own format loads (tests/test_serialization_torch.py)
    zp = tmp_path / "other.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        zf.writestr("readme.txt", "not a checkpoint")
    with pytest.raises(SerializationError, match="zip"):
        load(zp)
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(SerializationError, match="npy"):
        load(npy)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(SerializationError, match="empty"):
        load(empty)
    text = tmp_path / "text"
    text.write_text("hello world, this is not a checkpoint")
    with pytest.raises(SerializationError, match="signature"):
        load(text)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing")


def test_error_class():
    assert issubclass(SerializationError, RuntimeError)
    assert issubclass(SerializationError, kitty.KittygradError)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data):
    with pytest.raises(SerializationError):
        load(io.BytesIO(data))


_VALID = None


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_fuzz_mutations(data):
    global _VALID
    if _VALID is None:
        _VALID = _sample_bytes()
    raw = bytearray(_VALID)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    blob = bytes(raw[:cut])
    if blob == _VALID:
        return
    with pytest.raises(SerializationError):
        load(io.BytesIO(blob))


@settings(max_examples=examples(60), deadline=None)
@given(st.data())
def test_fuzz_tampered_headers(data):
    """Random edits of the header, re-sealed with a valid checksum: loading either works or
    raises SerializationError, never anything else."""
    valid = _sample_bytes()
    magic, version, hlen = struct.unpack("<8sIQ", valid[:20])
    meta = json.loads(valid[20 : 20 + hlen])
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                     st.text(max_size=5), st.lists(st.integers(-3, 3), max_size=3))
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + [k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + [i])

    walk(meta, [])
    path = data.draw(st.sampled_from(paths[1:]))
    value = data.draw(leaf)
    blob = _reseal(valid, _set(path, value))
    try:
        load(io.BytesIO(blob))
    except SerializationError:
        pass


# ---- atomic writes ---------------------------------------------------------------------------------
_CHILD = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    import kittygrad as kitty
    from kittygrad import serialization as S

    path, flag = sys.argv[1], sys.argv[2]
    real_fsync = os.fsync

    def stuck_fsync(fd):
        real_fsync(fd)
        open(flag, "w").close()  # the new data is fully written to the temporary file
        time.sleep(60)

    if sys.argv[3] == "stall":
        os.fsync = stuck_fsync
    big = {{"w": kitty.ones(2_000_000), "version": 2}}
    while True:
        S.save(big, path)
        open(flag, "w").close()
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("mode", ["stall", "random"])
def test_kill_during_save_keeps_previous_checkpoint(tmp_path, mode):
    path = tmp_path / "ckpt.kg"
    old = {"w": kitty.arange(5.0), "version": 1}
    save(old, path)
    script = tmp_path / "child.py"
    script.write_text(_CHILD.format(root=str(ROOT)))
    flag = tmp_path / "flag"
    for attempt in range(3 if mode == "random" else 1):
        proc = subprocess.Popen([sys.executable, str(script), str(path), str(flag), mode])
        try:
            deadline = time.time() + 60
            while not flag.exists():
                assert proc.poll() is None, "the child process died"
                assert time.time() < deadline
                time.sleep(0.01)
            if mode == "random":
                time.sleep(0.005 * (attempt + 1) * 3)  # somewhere inside a later save
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        out = load(path)  # always a complete checkpoint: the old one, or a finished new one
        if mode == "stall":
            assert out["version"] == 1 and out["w"].tolist() == old["w"].tolist()
            assert any(n.endswith(".tmp") for n in os.listdir(tmp_path))  # the unfinished temp file
        else:
            assert out["version"] in (1, 2)
            if out["version"] == 2:
                assert out["w"].shape == (2_000_000,) and bool((out["w"] == 1.0).all())
        flag.unlink()
    save({"version": 3}, path)  # leftovers never block later saves
    assert load(path)["version"] == 3


def test_save_to_unwritable_location_leaves_target(tmp_path):
    path = tmp_path / "missing_dir" / "x.kg"
    with pytest.raises(FileNotFoundError):
        save({"a": 1}, path)


def test_parameter_round_trip_if_available():
    Parameter = getattr(kitty.nn, "Parameter", None)
    if Parameter is None:
        pytest.skip("kittygrad.nn.Parameter is not available yet")
    p = Parameter(kitty.ones(2))
    out = _roundtrip({"p": p})["p"]
    assert isinstance(out, Parameter) and out.requires_grad


def test_deepcopy_of_loaded_state_is_independent():
    t = kitty.tensor([1.0, 2.0])
    out = _roundtrip({"a": t, "b": t})
    c = copy.deepcopy(out)
    c["a"].add_(1.0)
    assert out["a"].tolist() == [1.0, 2.0]


def test_state_dict_metadata_survives_save_and_load():
    # torch keeps a state_dict's per-module versions; BatchNorm reads them to tell a checkpoint
    # that must hold num_batches_tracked (version 2) from an older one
    net = kitty.nn.Sequential(kitty.nn.Linear(2, 2), kitty.nn.BatchNorm1d(2))
    sd = net.state_dict()
    buf = io.BytesIO()
    save({"model": sd, "plain": collections.OrderedDict(a=1)}, buf)
    buf.seek(0)
    out = load(buf, weights_only=True)
    assert out["model"]._metadata == sd._metadata and out["model"]._metadata["1"] == {"version": 2}
    assert not hasattr(out["plain"], "_metadata")
    del out["model"]["1.num_batches_tracked"]
    assert net.load_state_dict(out["model"], strict=False).missing_keys == ["1.num_batches_tracked"]
    bad = _reseal(buf.getvalue(), _set(["root", "v", 0, 1, "m"], {"t": "list", "v": []}))
    with pytest.raises(SerializationError):
        load(io.BytesIO(bad))


@pytest.mark.parametrize("format", ["kittygrad", "torch"])
def test_a_meta_tensor_is_refused_as_having_no_data(format):
    from kittygrad.meta_array import MetaDataError

    weight = kitty.nn.Linear(2, 3, device="meta").weight
    with pytest.raises(MetaDataError, match="has no data"):
        save({"w": weight}, io.BytesIO(), format=format)
