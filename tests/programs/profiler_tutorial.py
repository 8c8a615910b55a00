"""Profiling a small model with torch.profiler, as the recipe does; prints only what does not
depend on timings or on which internal ops a library runs (labels, counts, types, headers)."""
import json
import os
import tempfile

import torch
import torch.nn as nn
from torch.profiler import ProfilerActivity, profile, record_function, schedule, tensorboard_trace_handler

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3))
inputs = torch.randn(5, 10)


@record_function("loss_fn")
def loss_fn(out):
    return out.pow(2).mean()


with profile(activities=[ProfilerActivity.CPU], record_shapes=True, profile_memory=False) as prof:
    with record_function("model_inference"):
        out = model(inputs)
    for _ in range(3):
        loss = loss_fn(out)
    loss.backward()

table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
print("labels in table:", "model_inference" in table, "loss_fn" in table)
headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
print("headers:", all(h in table for h in headers), table.splitlines()[-1].startswith("Self CPU time total:"))
grouped = prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=10)
print("grouped by shape has Input Shapes column:", "Input Shapes" in grouped)
print("self time sort works:", "model_inference" in prof.key_averages().table(sort_by="self_cpu_time_total"))

events = prof.events()
averages = {a.key: a for a in prof.key_averages()}
print(type(prof).__name__, type(events).__name__, type(events[0]).__name__, type(prof.key_averages()[0]).__name__)
print("model_inference calls:", averages["model_inference"].count, "loss_fn calls:", averages["loss_fn"].count)
print("model_inference has children:", len(next(e for e in events if e.name == "model_inference").cpu_children) > 0)
print("total average key:", prof.key_averages().total_average().key)
mi = averages["model_inference"]
print("avg consistent:", abs(mi.cpu_time - mi.cpu_time_total / mi.count) < 1e-6, mi.self_cpu_time_total <= mi.cpu_time_total)

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "trace.json")
    prof.export_chrome_trace(path)
    with open(path) as f:
        doc = json.load(f)
    print("chrome trace has traceEvents:", "traceEvents" in doc)
    print("model_inference in trace:", any(e.get("name") == "model_inference" for e in doc["traceEvents"]))

# the older API
with torch.autograd.profiler.profile() as old:
    with torch.autograd.profiler.record_function("old_style"):
        model(inputs).sum().backward()
print("old API:", type(old).__name__, "old_style" in old.key_averages().table(sort_by="cpu_time_total"))

# a schedule, step() and on_trace_ready
ready = []


def on_ready(p):
    steps = sorted({e.name for e in p.events() if e.name.startswith("ProfilerStep")})
    labels = sum(1 for e in p.events() if e.name == "train_step")
    ready.append((p.step_num, steps, labels))


optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
with profile(activities=[ProfilerActivity.CPU], schedule=schedule(wait=1, warmup=1, active=2, repeat=2),
             on_trace_ready=on_ready) as p:
    for step in range(10):
        with record_function("train_step"):
            optimizer.zero_grad()
            model(inputs).pow(2).mean().backward()
            optimizer.step()
        p.step()
for r in ready:
    print("cycle ready at step", r[0], r[1], "train_step ranges:", r[2])

with tempfile.TemporaryDirectory() as tmp:
    logdir = os.path.join(tmp, "log")
    with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=3),
                 on_trace_ready=tensorboard_trace_handler(logdir)) as p:
        for _ in range(8):
            model(inputs)
            p.step()
    files = os.listdir(logdir)
    print("trace files:", len(files), all(f.endswith(".pt.trace.json") for f in files))
