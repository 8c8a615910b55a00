"""Measure how much of PyTorch's public API kittygrad provides, and write docs/api_coverage.md.

    python tools/api_coverage.py            (make coverage)

For each namespace (torch, torch.nn, torch.nn.functional, torch.Tensor, torch.optim,
torch.autograd, torch.func, torch.distributions, torch.special, torch.utils.data, torch.linalg)
the public names are torch's own: names without a leading underscore whose value is callable (a
function, a class, a method). Names that only make sense on other hardware or in other
subsystems are left out, by the rules in ``LEFT_OUT`` (each with its reason), and listed.

A name is *present* when kittygrad has it, *refused* when kittygrad has it on purpose as an error
with a reason (a function carrying ``__kittygrad_refused__``), and *missing* otherwise.
"""
from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import torch
import torch.distributions
import torch.func
import torch.nn.functional
import torch.special
import torch.utils.data

import kittygrad

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "api_coverage.md"

NAMESPACES = [
    ("torch", torch, "kittygrad"),
    ("torch.Tensor", torch.Tensor, "kittygrad.Tensor"),
    ("torch.nn", torch.nn, "kittygrad.nn"),
    ("torch.nn.functional", torch.nn.functional, "kittygrad.nn.functional"),
    ("torch.optim", torch.optim, "kittygrad.optim"),
    ("torch.autograd", torch.autograd, "kittygrad.autograd"),
    ("torch.func", torch.func, "kittygrad.func"),
    ("torch.distributions", torch.distributions, "kittygrad.distributions"),
    ("torch.special", torch.special, "kittygrad.special"),
    ("torch.utils.data", torch.utils.data, "kittygrad.utils.data"),
    ("torch.linalg", torch.linalg, "kittygrad.linalg"),
]

#: (pattern on the name, reason): names of other hardware, quantization, sparse and nested
#: layouts, TorchScript/FX/export internals and C++ extension plumbing
LEFT_OUT = [
    # whole words of a name only: a plain substring would leave out flipud ("ipu") or inputs ("npu")
    (r"(^|_)(cuda|cudnn|mps|xpu|hip|mtia|miopen|npu|xla|ipu|vulkan|metal|hpu|mkldnn|mkl|fbgemm|nnpack|onednn|"
     r"privateuse)", "another device or vendor library"),
    (r"quantiz|quantize|qint|quint|qscheme|q_scale|q_zero|q_per_channel|int_repr|dequantize|fake_quant|observer|"
     r"^q_|_q$|fused_moving_avg", "quantization"),
    (r"sparse|to_dense|coalesce|^indices$|^values$|crow_|col_indices|ccol|row_indices|sspaddmm|smm$|hspmm|"
     r"saddmm|^sspa|_nnz|dense_dim|sparse_dim|nested", "sparse and nested layouts"),
    (r"^jit$|script|trace|fx|^export|compile_|_dynamo|inductor|^compiler", "TorchScript, FX and the compiler stack"),
    # (storage(), untyped_storage() and their two classes are kittygrad's: books inspect views with them)
    (r"^is_vulkan|^is_ort|^is_maia|^is_meta$|^(?!Typed|Untyped)\w*Storage(Base)?$|^storage_type$|share_memory|"
     r"is_shared|const_data_ptr|^record_stream|^new_empty_strided|_stride$", "memory and storage plumbing"),
    (r"^is_grad_enabled_|^Dispatch|^Library|^library$|^Tag$|^ops$|^classes$|^cpp|^ffi|^utils$|"
     r"_C$|^DisableTorchFunction|torch_function|^Symbol|^Sym[A-Z]|^sym_|^Generator$", "C++ and dispatcher plumbing"),
    (r"^named_|^refine_names|^rename|^align_to|^align_as|^names$|^unflatten_names", "named tensors (prototype)"),
]


def left_out(name: str, value=None) -> str | None:
    if type(value).__name__ == "pybind11_type":
        return "TorchScript IR and other C++ binding types"
    if getattr(value, "__module__", None) in ("typing", "collections.abc", "abc", "builtins", "typing_extensions"):
        return "typing helpers imported into the namespace"
    if "DataPipe" in name or name in ("DataChunk", "functional_datapipe", "guaranteed_datapipes_determinism",
                                       "non_deterministic", "runtime_validation", "runtime_validation_disabled",
                                       "argument_validation"):
        return "DataPipes (deprecated in torch)"
    if name.startswith("Profiler") or name in ("kineto_available",):
        return "the profiler"
    low = name.lower()
    for pattern, reason in LEFT_OUT:
        if re.search(pattern, low) or re.search(pattern, name):
            return reason
    return None


def public_callables(obj) -> list[tuple[str, object]]:
    names = []
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: BLE001 - a few torch attributes raise when read
            continue
        if callable(value) and not inspect.ismodule(value):
            names.append((name, value))
    return sorted(names, key=lambda item: item[0])


def resolve(path: str):
    obj = kittygrad
    for part in path.split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def status(ours, name: str) -> tuple[str, str]:
    if ours is None or not hasattr(ours, name):
        return "missing", ""
    reason = getattr(getattr(ours, name), "__kittygrad_refused__", None)
    return ("refused", reason) if reason else ("present", "")


def measure() -> list[dict]:
    report = []
    for torch_name, torch_obj, kitty_name in NAMESPACES:
        ours = resolve(kitty_name)
        rows, skipped = [], []
        for name, value in public_callables(torch_obj):
            reason = left_out(name, value)
            if reason:
                skipped.append((name, reason))
                continue
            rows.append((name, *status(ours, name)))
        counts = {s: sum(1 for r in rows if r[1] == s) for s in ("present", "refused", "missing")}
        report.append({"torch": torch_name, "kitty": kitty_name, "rows": rows, "skipped": skipped, "counts": counts})
    return report


def coverage(entry: dict) -> float:
    total = sum(entry["counts"].values())
    return 100.0 * (entry["counts"]["present"] + entry["counts"]["refused"]) / total if total else 100.0


def write(report: list[dict]) -> str:
    lines = [
        "# API coverage against PyTorch " + torch.__version__.split("+")[0],
        "",
        "Generated by `make coverage` (`python tools/api_coverage.py`) from torch's own namespaces: every public",
        "callable name, kittygrad's status for it, and the names left out with the rule that left them out.",
        "*Refused* names exist on purpose and raise a clear error with the reason shown.",
        "",
        "| namespace | present | refused | missing | coverage |",
        "|---|---:|---:|---:|---:|",
    ]
    for e in report:
        c = e["counts"]
        lines.append(f"| `{e['torch']}` | {c['present']} | {c['refused']} | {c['missing']} | {coverage(e):.0f} % |")
    for e in report:
        lines += ["", f"## `{e['torch']}` → `{e['kitty']}`", ""]
        missing = [n for n, s, _ in e["rows"] if s == "missing"]
        refused = [(n, r) for n, s, r in e["rows"] if s == "refused"]
        present = [n for n, s, _ in e["rows"] if s == "present"]
        lines.append(f"**Missing ({len(missing)}):** " + (", ".join(f"`{n}`" for n in missing) or "none"))
        lines.append("")
        if refused:
            lines.append(f"**Refused ({len(refused)}):**")
            lines += [f"- `{n}`: {r}" for n, r in refused]
            lines.append("")
        lines.append(f"**Present ({len(present)}):** " + ", ".join(f"`{n}`" for n in present))
        lines.append("")
        by_reason: dict[str, list[str]] = {}
        for n, r in e["skipped"]:
            by_reason.setdefault(r, []).append(n)
        lines.append(f"**Left out ({len(e['skipped'])}):**")
        lines += [f"- {r}: " + ", ".join(f"`{n}`" for n in names) for r, names in sorted(by_reason.items())]
    return "\n".join(lines) + "\n"


def main() -> None:
    report = measure()
    OUT.write_text(write(report))
    for e in report:
        print(f"{e['torch']:22s} {coverage(e):5.1f} %  ({e['counts']})")
    print(f"written to {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
