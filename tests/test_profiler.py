"""kittygrad.profiler and kittygrad.autograd.profiler: events from the dispatch, tables, traces."""
from __future__ import annotations

import json
import os
import threading
import warnings

import pytest

import kittygrad as kitty
from kittygrad import nn
from kittygrad.autograd import engine
from kittygrad.autograd import profiler as autograd_profiler
from kittygrad.autograd.function import Function as TorchFunction
from kittygrad.autograd.function import Op
from kittygrad.errors import KittyRuntimeError, KittyValueError
from kittygrad.profiler import (
    ProfilerAction,
    ProfilerActivity,
    profile,
    record_function,
    schedule,
    supported_activities,
    tensorboard_trace_handler,
)


def _model():
    kitty.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def _names(events):
    return [e.name for e in events]


def _count(events, name):
    return sum(1 for e in events if e.name == name)


def test_forward_and_backward_events_named_and_counted():
    model = _model()
    x = kitty.randn(3, 4)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        y = model(x)
        y.sum().backward()
    events = prof.events()
    assert _count(events, "aten::addmm") == 2  # one per Linear
    assert _count(events, "aten::relu") == 1
    assert _count(events, "aten::sum") == 1
    # backward nodes, by torch's node names
    assert _count(events, "AddmmBackward0") == 2
    assert _count(events, "ReluBackward0") == 1
    assert _count(events, "SumBackward0") == 1
    averages = {a.key: a for a in prof.key_averages()}
    assert averages["aten::addmm"].count == 2
    assert averages["AddmmBackward0"].count == 2
    # the forward ran before the backward
    names = _names(events)
    assert names.index("aten::addmm") < names.index("SumBackward0")


def test_no_grad_forward_records_ops_only():
    x = kitty.ones(2, 2)
    with profile() as prof, kitty.no_grad():
        (x * 2 + 1).exp()
    assert _names(prof.events()) == ["aten::mul", "aten::add", "aten::exp"]


def test_nesting_and_self_time_consistent():
    model = _model()
    x = kitty.randn(3, 4)
    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                model(x).sum().backward()
    events = prof.events()
    outer = next(e for e in events if e.name == "outer")
    inner = next(e for e in events if e.name == "inner")
    assert inner.cpu_parent is outer and outer.cpu_children == [inner]
    assert outer.cpu_parent is None
    ops = [e for e in events if e.name.startswith("aten::") or e.name.endswith("Backward0")]
    assert all(e.cpu_parent is inner for e in ops)
    assert sorted(_names(inner.cpu_children)) == sorted(_names(ops))
    for e in events:
        assert e.cpu_time_total >= 0
        children = sum(c.cpu_time_total for c in e.cpu_children)
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - children)
        assert 0 <= e.self_cpu_time_total <= e.cpu_time_total + 1e-9
        for c in e.cpu_children:  # a child lies inside its parent
            assert e.time_range.start <= c.time_range.start and c.time_range.end <= e.time_range.end
        assert e.thread == threading.get_ident()
    # the self times of all events add up to the outermost range's total
    assert prof.key_averages().self_cpu_time_total == pytest.approx(outer.cpu_time_total)
    total = prof.key_averages().total_average()
    assert total.key == "Total" and total.count == len(events)
    assert total.self_cpu_time_total == pytest.approx(outer.cpu_time_total)


def test_record_function_ranges_context_and_decorator():
    @record_function("decorated")
    def f(t):
        return t * 3

    with profile() as prof:
        for _ in range(3):
            f(kitty.ones(2))
        with record_function("block") as rf:
            kitty.ones(2).sum()
    assert isinstance(rf, record_function)
    averages = {a.key: a for a in prof.key_averages()}
    assert averages["decorated"].count == 3
    assert averages["block"].count == 1
    assert averages["decorated"].is_user_annotation
    decorated = [e for e in prof.events() if e.name == "decorated"]
    assert all(_names(e.cpu_children) == ["aten::mul"] for e in decorated)


def test_record_function_without_profiler_is_inert():
    with record_function("nothing"):
        y = kitty.ones(2) + 1
    assert y.tolist() == [2.0, 2.0]


def test_input_shapes_and_grouping():
    a, b = kitty.ones(2, 3), kitty.ones(3, 4)
    c = kitty.ones(5, 3)
    with profile(record_shapes=True) as prof:
        kitty.mm(a, b)
        kitty.mm(a, b)
        kitty.mm(c, b)
    events = prof.events()
    assert [e.input_shapes for e in events] == [[[2, 3], [3, 4]], [[2, 3], [3, 4]], [[5, 3], [3, 4]]]
    plain = prof.key_averages()
    assert len(plain) == 1 and plain[0].count == 3 and plain[0].input_shapes == ""
    grouped = prof.key_averages(group_by_input_shape=True)
    assert sorted((a.count, str(a.input_shapes)) for a in grouped) == [(1, "[[5, 3], [3, 4]]"), (2, "[[2, 3], [3, 4]]")]
    table = grouped.table(sort_by="count")
    assert "Input Shapes" in table and "[[2, 3], [3, 4]]" in table
    assert "Input Shapes" not in plain.table()


def test_no_shapes_without_record_shapes():
    with profile() as prof:
        kitty.ones(2, 3).sum()
    assert all(e.input_shapes == [] for e in prof.events())


def test_table_headers_footer_and_sort():
    model = _model()
    with profile() as prof:
        with record_function("model_inference"):
            model(kitty.randn(3, 4))
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    lines = table.splitlines()
    for header in ("Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"):
        assert header in lines[1]
    assert set(lines[0].replace(" ", "")) == {"-"} and lines[0] == lines[2] == lines[-2]
    assert lines[-1].startswith("Self CPU time total: ")
    rows = lines[3:-2]
    assert rows[0].split()[0] == "model_inference"  # the largest total comes first
    # sorted by self time: the rows' self times never increase
    by_self = prof.key_averages().table(sort_by="self_cpu_time_total").splitlines()[3:-2]
    keys = {a.key: a.self_cpu_time_total for a in prof.key_averages()}
    values = [keys[r.split()[0]] for r in by_self]
    assert values == sorted(values, reverse=True)
    assert len(prof.key_averages().table(row_limit=1).splitlines()) == 6
    with pytest.raises(KittyValueError):
        prof.key_averages().table(sort_by="no_such_column")


def test_function_event_avg_fields():
    with profile() as prof:
        for _ in range(4):
            kitty.ones(2) + 1
    (avg,) = prof.key_averages()
    assert avg.key == "aten::add" and avg.count == 4
    assert avg.cpu_time == pytest.approx(avg.cpu_time_total / 4)
    assert avg.self_cpu_time_total == pytest.approx(avg.cpu_time_total)
    assert "FunctionEventAvg" in repr(avg)


def test_nothing_recorded_outside_a_profile_and_dispatch_restored():
    apply, fn_apply, node_backward = Op.__dict__["apply"], TorchFunction.__dict__["apply"], engine._node_backward
    assert autograd_profiler._active is None
    kitty.ones(2) + 1  # before
    with profile() as prof:
        assert Op.__dict__["apply"] is not apply
        kitty.ones(2) * 2
    kitty.ones(2) - 1  # after
    assert _names(prof.events()) == ["aten::mul"]
    assert Op.__dict__["apply"] is apply
    assert TorchFunction.__dict__["apply"] is fn_apply
    assert engine._node_backward is node_backward
    assert autograd_profiler._active is None


def test_dispatch_restored_when_block_raises():
    apply = Op.__dict__["apply"]
    with pytest.raises(ZeroDivisionError):
        with profile():
            kitty.ones(2) + 1
            1 / 0
    assert Op.__dict__["apply"] is apply and autograd_profiler._active is None


def test_failed_op_closes_its_range():
    class Boom(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x * 2
            raise ValueError("boom")

    with profile() as prof:
        with pytest.raises(ValueError):
            Boom.apply(kitty.ones(2))
        kitty.ones(2) + 1
    events = prof.events()
    assert _names(events) == ["Boom", "aten::mul", "aten::add"]
    assert events[1].cpu_parent is events[0] and events[2].cpu_parent is None


def test_nested_profiles_refused():
    with profile():
        with pytest.raises(KittyRuntimeError):
            with profile():
                pass


def test_custom_function_recorded_by_class_name():
    class Square(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = kitty.ones(3, requires_grad=True)
    with profile() as prof:
        Square.apply(x).sum().backward()
    events = prof.events()
    square = next(e for e in events if e.name == "Square")
    assert _names(square.cpu_children) == ["aten::mul"]
    backward = next(e for e in events if e.name == "SquareBackward")
    assert sorted(_names(backward.cpu_children)) == ["aten::mul", "aten::mul"]


def test_schedule_actions():
    s = schedule(wait=1, warmup=1, active=2, repeat=2, skip_first=1)
    actions = [s(i) for i in range(11)]
    n, w, r, rs = ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE
    assert actions == [n, n, w, r, rs, n, w, r, rs, n, n]
    with pytest.raises(KittyValueError):
        schedule(wait=0, warmup=0, active=0)
    with pytest.warns(UserWarning, match="warmup"):
        schedule(wait=0, warmup=0, active=1)


def test_schedule_step_and_on_trace_ready(tmp_path):
    ready, traced = [], []

    def handler(p):
        steps = [a for a in p.key_averages() if a.key.startswith("ProfilerStep")]
        ready.append((p.step_num, [(a.key, a.count) for a in steps], _count(p.events(), "aten::add")))
        path = tmp_path / f"cycle{p.step_num}.json"
        p.export_chrome_trace(str(path))
        names = [e["name"] for e in json.loads(path.read_text())["traceEvents"]]
        traced.append(sorted(n for n in names if n.startswith("ProfilerStep")))

    with profile(schedule=schedule(wait=1, warmup=1, active=2, repeat=2), on_trace_ready=handler) as prof:
        for _ in range(10):
            kitty.ones(2) + 1
            prof.step()
    # two cycles of four steps: steps 2-3 and 6-7 recorded, each handed over once
    assert ready == [(4, [("ProfilerStep*", 2)], 2), (8, [("ProfilerStep*", 2)], 2)]
    assert traced == [["ProfilerStep#2", "ProfilerStep#3"], ["ProfilerStep#6", "ProfilerStep#7"]]
    assert prof.step_num == 10


def test_on_trace_ready_at_exit_while_recording():
    calls = []
    with profile(schedule=schedule(wait=0, warmup=1, active=3), on_trace_ready=calls.append) as prof:
        for _ in range(2):
            kitty.ones(2) * 2
            prof.step()
    assert calls == [prof]  # the block ended during a recorded step: that cycle is handed over
    assert _count(prof.events(), "aten::mul") == 1


def test_on_trace_ready_without_schedule_called_once():
    calls = []
    with profile(on_trace_ready=calls.append) as prof:
        kitty.ones(2) * 2
        prof.step()
        kitty.ones(2) * 2
    assert len(calls) == 1
    assert _count(prof.events(), "aten::mul") == 2
    assert not any(e.name.startswith("ProfilerStep") for e in prof.events())


def test_chrome_trace(tmp_path):
    model = _model()
    with profile(record_shapes=True) as prof:
        with record_function("model_inference"):
            model(kitty.randn(3, 4)).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    doc = json.loads(path.read_text())
    events = doc["traceEvents"]
    assert len(events) == len(prof.events())
    for e in events:
        assert e["ph"] == "X" and e["dur"] >= 0 and isinstance(e["ts"], (int, float))
        assert e["pid"] == os.getpid()
    cats = {e["name"]: e["cat"] for e in events}
    assert cats["model_inference"] == "user_annotation" and cats["aten::addmm"] == "cpu_op"
    addmm = next(e for e in events if e["name"] == "aten::addmm")
    assert addmm["args"]["Input Dims"] == [[3, 4], [8, 4], [8]]


def test_tensorboard_trace_handler_writes_a_file_per_cycle(tmp_path):
    out = tmp_path / "logs"
    handler = tensorboard_trace_handler(str(out), worker_name="w")
    with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=2), on_trace_ready=handler) as prof:
        for _ in range(6):
            kitty.ones(2) + 1
            prof.step()
    files = sorted(os.listdir(out))
    assert len(files) == 2 and all(f.startswith("w.") and f.endswith(".pt.trace.json") for f in files)
    for f in files:
        doc = json.loads((out / f).read_text())
        assert any(e["name"] == "aten::add" for e in doc["traceEvents"])


def test_cuda_activity_warns_and_records_nothing():
    assert supported_activities() == {ProfilerActivity.CPU}
    with pytest.warns(UserWarning, match="CUDA"):
        prof = profile(activities=[ProfilerActivity.CUDA])
    with prof:
        kitty.ones(2) + 1
    assert len(prof.events()) == 0 and prof.key_averages().table() == ""
    with pytest.warns(UserWarning, match="CUDA"):
        both = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
    with both:
        kitty.ones(2) + 1
    assert _names(both.events()) == ["aten::add"]


def test_older_autograd_profiler_api(tmp_path):
    model = _model()
    with kitty.autograd.profiler.profile(record_shapes=True) as prof:
        with kitty.autograd.profiler.record_function("fwd"):
            y = model(kitty.randn(3, 4))
        y.sum().backward()
    assert _count(prof.function_events, "AddmmBackward0") == 2
    table = prof.key_averages().table(sort_by="self_cpu_time_total")
    assert "fwd" in table and "# of Calls" in table
    assert prof.self_cpu_time_total == pytest.approx(prof.function_events.self_cpu_time_total)
    assert prof.total_average().count == len(prof.function_events)
    assert "Input Shapes" in prof.key_averages(group_by_input_shape=True).table()
    prof.export_chrome_trace(str(tmp_path / "t.json"))
    assert "traceEvents" in json.loads((tmp_path / "t.json").read_text())
    unfinished = kitty.autograd.profiler.profile()
    with pytest.raises(KittyRuntimeError):
        unfinished.key_averages()
    with kitty.autograd.profiler.profile(enabled=False) as off:
        kitty.ones(1) + 1
    assert off.function_events is None


def test_results_before_any_recording_refused():
    prof = profile(schedule=schedule(wait=5, warmup=1, active=1))
    with prof:
        kitty.ones(1) + 1
    with pytest.raises(KittyRuntimeError):
        prof.key_averages()


def test_events_from_another_thread_carry_its_id():
    ids = []

    def work():
        ids.append(threading.get_ident())
        kitty.ones(2) * 2

    with profile() as prof:
        t = threading.Thread(target=work)
        t.start()
        t.join()
        kitty.ones(2) + 1
    threads = {e.name: e.thread for e in prof.events()}
    assert threads["aten::mul"] == ids[0] and threads["aten::add"] == threading.get_ident()


def test_no_warnings_for_cpu_profile():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            kitty.ones(2) + 1
    assert len(prof.events()) == 1
