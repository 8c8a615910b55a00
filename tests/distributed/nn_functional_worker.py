"""torch.distributed.nn.functional and torch.distributed.algorithms.join, one script for both libraries.

Run ``python nn_functional_worker.py kittygrad OUT`` under ``mpiexec -n N`` (every check under
both backward semantics), or ``python nn_functional_worker.py torch OUT`` under
``torchrun --standalone --nproc-per-node N`` (gloo). The same code runs against either library:
each check asserts its values against a NumPy reference of the whole exchange (every rank can
compute every rank's input) and returns the values it saw, which the test compares between the
two libraries. Writes ``{check: {"status": "ok" | traceback, "values": {...}}}`` to
``OUT/nn.<lib>.<world>.<rank>.json``.
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings
from pathlib import Path

import numpy as np

LIB = sys.argv[1]
if LIB == "torch":
    import torch
    import torch.distributed as dist
    import torch.distributed.nn as dist_nn
    import torch.distributed.nn.functional as F_dist
    from torch.distributed.algorithms import Join, Joinable, JoinHook
    from torch.nn.parallel import DistributedDataParallel as DDP
else:
    import kittygrad as torch
    import kittygrad.distributed as dist
    import kittygrad.distributed.nn as dist_nn
    import kittygrad.distributed.nn.functional as F_dist
    from kittygrad.distributed.algorithms import Join, Joinable, JoinHook
    from kittygrad.nn.parallel import DistributedDataParallel as DDP

RANK = WORLD = 0
TOL = 1e-5


def data(r: int, shape=(2, 3)) -> np.ndarray:
    """Rank ``r``'s input: distinct per rank, exact in float64."""
    return (np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) % 5 + r * 2 - 1) / 2


def leaf(arr: np.ndarray):
    return torch.tensor(arr.tolist(), dtype=torch.float64, requires_grad=True)


def same(t, ref, what: str) -> list:
    got = np.asarray(t.detach().tolist(), dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    assert np.allclose(got, ref, atol=TOL, rtol=TOL), f"{what}:\n{got}\n!=\n{ref}"
    return got.tolist()


def check_all_gather() -> dict:
    """This rank's input gets the sum over ranks of the gradients of its slot (a reduce-scatter)."""
    out = {}
    for name, grp in (("world", None), ("new_group", dist.new_group(list(range(WORLD))))):
        x = leaf(data(RANK))
        parts = dist_nn.all_gather(x, group=grp) if grp is not None else dist_nn.all_gather(x)
        assert isinstance(parts, tuple) and len(parts) == WORLD
        for r, p in enumerate(parts):
            same(p, data(r), f"all_gather slot {r}")
        loss = sum((p * (r + 1) * (RANK + 2)).sum() for r, p in enumerate(parts)) + parts[RANK].pow(2).sum()
        loss.backward()
        want = (RANK + 1) * sum(p + 2 for p in range(WORLD)) + 2 * data(RANK)
        out[name] = same(x.grad, want, f"all_gather's gradient ({name})")
    return out


def _clip_loss(emb_mine, everyone, rank: int, batch: int):
    logits = emb_mine @ everyone.t() * 2.0
    labels = torch.arange(batch) + rank * batch
    return torch.nn.functional.cross_entropy(logits, labels)


def check_contrastive_loss() -> dict:
    """SimCLR/CLIP's pattern: embeddings gathered from every rank, a loss over all of them;
    rank q's weight gradient is d(sum of every rank's loss)/d(rank q's copy of the weights),
    computed in one process as the reference."""
    batch = 3
    xs = [torch.tensor(np.cos(np.arange(batch * 4).reshape(batch, 4) * (r + 1.3)).tolist()) for r in range(WORLD)]
    torch.manual_seed(5)
    model = torch.nn.Linear(4, 3)
    emb = torch.nn.functional.normalize(model(xs[RANK]), dim=1)
    everyone = torch.cat(dist_nn.all_gather(emb))
    _clip_loss(emb, everyone, RANK, batch).backward()
    copies = []  # one process: each rank's copy of the weights as its own leaf
    for _ in range(WORLD):
        torch.manual_seed(5)
        copies.append(torch.nn.Linear(4, 3))
    embs = [torch.nn.functional.normalize(m(x), dim=1) for m, x in zip(copies, xs)]
    total = sum(_clip_loss(embs[r], torch.cat(embs), r, batch) for r in range(WORLD))
    total.backward()
    return {"weight": same(model.weight.grad, copies[RANK].weight.grad.tolist(), "contrastive weight gradient"),
            "bias": same(model.bias.grad, copies[RANK].bias.grad.tolist(), "contrastive bias gradient")}


def check_all_reduce() -> dict:
    """SUM and MAX (gradient: the same reduction of the gradients, torch's rule) and a double backward."""
    x = leaf(data(RANK))
    y = dist_nn.all_reduce(x * (RANK + 1))
    same(y, sum(data(r) * (r + 1) for r in range(WORLD)), "all_reduce SUM")
    (y * (RANK + 3)).sum().backward()
    values = {"sum": same(x.grad, np.full((2, 3), sum(r + 3 for r in range(WORLD)) * (RANK + 1.0)), "SUM gradient")}
    x = leaf(data(RANK))
    y = dist_nn.all_reduce(x, op=dist.ReduceOp.MAX)
    same(y, np.max([data(r) for r in range(WORLD)], axis=0), "all_reduce MAX")
    (y * (RANK + 3)).sum().backward()
    values["max"] = same(x.grad, np.full((2, 3), WORLD + 2.0), "MAX gradient (torch's rule)")
    x = leaf(data(RANK))
    y = dist_nn.all_reduce(x.pow(2))
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    same(g, 2 * WORLD * data(RANK), "first derivative")
    g.sum().backward()
    values["double"] = same(x.grad, np.full((2, 3), 2.0 * WORLD), "double backward")
    return values


def check_broadcast_and_reduce() -> dict:
    """broadcast: src's input gets every rank's gradient; reduce: every input gets dst's gradient."""
    src = WORLD - 1
    x = leaf(data(RANK))
    y = dist_nn.broadcast(x, src)
    same(y, data(src), "broadcast")
    (y * (RANK + 1)).sum().backward()
    want = np.full((2, 3), sum(r + 1 for r in range(WORLD)) if RANK == src else 0.0)
    values = {"broadcast": same(x.grad, want, "broadcast's gradient")}
    x = leaf(data(RANK))
    y = dist_nn.reduce(x, src)
    if RANK == src:  # (elsewhere gloo leaves partial sums in the output: torch leaves it unspecified)
        same(y, sum(data(r) for r in range(WORLD)), "reduce")
    (y * (RANK + 1)).sum().backward()
    values["reduce"] = same(x.grad, np.full((2, 3), src + 1.0), "reduce's gradient")
    return values


def check_gather_and_scatter() -> dict:
    """gather to dst (zeros elsewhere), its gradient scattered back; scatter from src, its gradient gathered."""
    dst = 0
    x = leaf(data(RANK))
    parts = dist_nn.gather(x, dst=dst)
    for r, p in enumerate(parts):
        same(p, data(r) if RANK == dst else np.zeros((2, 3)), f"gather slot {r}")
    sum((p * (r + 1) * (RANK + 1)).sum() for r, p in enumerate(parts)).backward()
    values = {"gather": same(x.grad, np.full((2, 3), (RANK + 1.0) * (dst + 1)), "gather's gradient")}
    src = WORLD - 1
    pieces = [leaf(data(j) * 3 if RANK == src else np.zeros((2, 3))) for j in range(WORLD)]
    y = dist_nn.scatter(pieces, src=src)
    same(y, data(RANK) * 3, "scatter")
    (y * (RANK + 1)).sum().backward()
    for j, p in enumerate(pieces):
        values[f"scatter{j}"] = same(p.grad, np.full((2, 3), j + 1.0 if RANK == src else 0.0), f"scatter piece {j}")
    return values


def check_reduce_scatter() -> dict:
    """input_list[j] of every rank reduced into rank j; its gradient is rank j's, all-gathered."""
    inputs = [leaf(data(RANK) * (j + 1)) for j in range(WORLD)]
    out = dist_nn.reduce_scatter(torch.zeros(2, 3, dtype=torch.float64), inputs)
    same(out, sum(data(r) for r in range(WORLD)) * (RANK + 1), "reduce_scatter")
    (out * (RANK + 2)).sum().backward()
    return {f"input{j}": same(t.grad, np.full((2, 3), j + 2.0), f"reduce_scatter input {j}") for j, t in enumerate(inputs)}


def check_all_to_all() -> dict:
    """all_to_all and all_to_all_single (uneven splits): gradients make the reverse exchange."""
    inputs = [leaf(data(RANK) + 10 * j) for j in range(WORLD)]
    outs = dist_nn.all_to_all([torch.zeros(2, 3, dtype=torch.float64) for _ in range(WORLD)], inputs)
    for j, o in enumerate(outs):
        same(o, data(j) + 10 * RANK, f"all_to_all from {j}")
    sum((o * (j + 1) * (RANK + 1)).sum() for j, o in enumerate(outs)).backward()
    values = {f"a2a{j}": same(t.grad, np.full((2, 3), (RANK + 1.0) * (j + 1)), f"all_to_all grad {j}")
              for j, t in enumerate(inputs)}
    send = [j + 1 for j in range(WORLD)]  # j + 1 rows to rank j
    rows = leaf(np.arange(sum(send) * 2, dtype=np.float64).reshape(-1, 2) + 100 * RANK)
    got = dist_nn.all_to_all_single(torch.zeros(WORLD * (RANK + 1), 2, dtype=torch.float64), rows,
                                    [RANK + 1] * WORLD, send)
    start = sum(send[:RANK])
    want = np.concatenate([np.arange(sum(send) * 2).reshape(-1, 2)[start:start + RANK + 1] + 100 * j
                           for j in range(WORLD)])
    same(got, want, "all_to_all_single")
    # block from sender s scaled by (s + 1) * (receiver + 1): sender q's piece j gets (q + 1) * (j + 1)
    scale = np.repeat(np.arange(WORLD) + 1.0, RANK + 1)[:, None] * (RANK + 1)
    (got * torch.tensor(scale.tolist(), dtype=torch.float64)).sum().backward()
    want = np.repeat((np.arange(WORLD) + 1.0) * (RANK + 1), send)[:, None].repeat(2, 1)
    values["single"] = same(rows.grad, want, "all_to_all_single gradient")
    return values


def check_deprecation_warnings() -> dict:
    """torch 2.13 deprecates five of them with a FutureWarning."""
    x = leaf(data(RANK))
    warned = {}
    calls = {
        "all_gather": lambda: dist_nn.all_gather(x),
        "all_reduce": lambda: dist_nn.all_reduce(x),
        "broadcast": lambda: dist_nn.broadcast(x, 0),
        "reduce": lambda: dist_nn.reduce(x, 0),
        "gather": lambda: dist_nn.gather(x),
    }
    for name, call in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        warned[name] = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert warned["all_gather"] and not warned["gather"], warned
    return warned


def check_top_level_names() -> dict:
    names = ["all_gather", "all_reduce", "all_to_all", "all_to_all_single", "broadcast", "gather", "reduce",
             "reduce_scatter", "scatter", "ReduceOp", "group", "functional"]
    for name in names:
        assert hasattr(dist_nn, name), name
    assert dist_nn.all_gather is F_dist.all_gather
    return {}



def check_beyond_gloo() -> dict:
    """What torch's gloo backend cannot run (AVG; _all_gather_base's backward) and kittygrad's
    refusals, against NumPy only: the torch run records nothing here."""
    if LIB == "torch":
        return {}
    x = leaf(data(RANK))
    y = dist_nn.all_reduce(x, op=dist.ReduceOp.AVG)
    same(y, np.mean([data(r) for r in range(WORLD)], axis=0), "all_reduce AVG")
    (y * (RANK + 1)).sum().backward()
    same(x.grad, np.full((2, 3), np.mean(np.arange(WORLD) + 1.0)), "AVG gradient")
    x = leaf(data(RANK))
    out = F_dist._all_gather_base(torch.zeros(2 * WORLD, 3, dtype=torch.float64), x)
    same(out, np.concatenate([data(r) for r in range(WORLD)]), "_all_gather_base")
    (out * torch.arange(2 * WORLD, dtype=torch.float64)[:, None] * (RANK + 1)).sum().backward()
    rows = np.arange(2 * WORLD, dtype=np.float64).reshape(WORLD, 2)[RANK]  # this rank's block of rows
    same(x.grad, rows[:, None].repeat(3, 1) * sum(r + 1 for r in range(WORLD)), "_all_gather_base gradient")
    try:
        dist_nn.scatter(None)
    except TypeError as exc:
        assert "every rank passes `tensors`" in str(exc), exc
    else:
        raise AssertionError("scatter(None) was accepted")
    model = DDP(torch.nn.Linear(2, 1))
    try:
        Join([model, Counter("d")])
    except NotImplementedError as exc:
        assert "cannot share a Join" in str(exc), exc
    else:
        raise AssertionError("a DDP model with another joinable was accepted")
    return {}


# ---- join ---------------------------------------------------------------------------------------
class _Shadow(JoinHook):
    def __init__(self, owner) -> None:
        self.owner = owner

    def main_hook(self) -> None:
        self.owner.log.append("main")
        dist.all_reduce(torch.zeros(1))  # the training ranks' per-step all_reduce, with nothing added

    def post_hook(self, is_last_joiner: bool) -> None:
        self.owner.log.append(f"post {is_last_joiner}")


class Counter(Joinable):
    """Each step counts the ranks still stepping with one all_reduce."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.log: list = []
        self.kwargs = None

    def step(self) -> None:
        Join.notify_join_context(self)
        ones = torch.ones(1)
        dist.all_reduce(ones)
        self.log.append(int(ones.item()))

    def join_hook(self, **kwargs):
        self.kwargs = sorted(kwargs)
        return _Shadow(self)

    @property
    def join_device(self):
        return torch.device("cpu")

    @property
    def join_process_group(self):
        return dist.group.WORLD


def check_join_generic() -> dict:
    """Rank r steps 2 + r times: the ranks still stepping count each other; a joined rank shadows
    (main hooks, in the joinables' order) and the last to join is told so in the post hook."""
    a, b = Counter("a"), Counter("b")
    with Join([a, b], note=1):
        for _ in range(2 + RANK):
            a.step()
            b.step()
    want = [WORLD - max(0, i - 1) for i in range(2 + RANK)]  # step i: the ranks with more than i steps
    assert a.log[: len(want)] == want, (a.log, want)
    shadowed = WORLD - 1 - RANK
    assert a.log[len(want):] == ["main"] * shadowed + [f"post {RANK == WORLD - 1}"], a.log
    assert a.kwargs == b.kwargs == ["note"]
    with Join([a], enable=False):  # equal inputs, nothing shadowed
        a.step()
    return {"a": a.log, "b": b.log}


def check_join_throw() -> dict:
    """throw_on_early_termination: torch's two messages, the rank that ran out and the others."""
    c = Counter("c")
    message = ""
    try:
        with Join([c], throw_on_early_termination=True):
            for _ in range(1 + RANK):
                c.step()
    except RuntimeError as exc:
        message = str(exc)
    if WORLD > 1:
        want = "Rank 0 exhausted all inputs." if RANK == 0 else \
            "Detected at least one rank that exhausted inputs. Throwing across all ranks."
        assert message == want, message
    try:
        Join([])
    except ValueError as exc:
        empty = str(exc)
    return {"message": message, "empty": empty}


def _batches(rank: int, n: int) -> list:
    return [(torch.tensor(np.sin(np.arange(8) + 10 * rank + 3 * i).reshape(2, 4).tolist()),
             torch.tensor(np.cos(np.arange(4) + rank + i).reshape(2, 2).tolist())) for i in range(n)]


def check_join_ddp() -> dict:
    """The uneven-inputs tutorial: ``with Join([model])`` around a DDP loop, rank r on 2 + r batches;
    the weights of one process whose steps sum the losses of the ranks still training."""
    values = {}
    for initial in (True, False):
        torch.manual_seed(3)
        model = DDP(torch.nn.Linear(4, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        with Join([model], divide_by_initial_world_size=initial):
            for x, y in _batches(RANK, 2 + RANK):
                opt.zero_grad()
                torch.nn.functional.mse_loss(model(x), y).backward()
                opt.step()
        torch.manual_seed(3)
        ref = torch.nn.Linear(4, 2)
        ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
        steps = [_batches(r, 2 + r) for r in range(WORLD)]
        for i in range(2 + WORLD - 1):
            active = [r for r in range(WORLD) if i < 2 + r]
            ref_opt.zero_grad()
            total = sum(torch.nn.functional.mse_loss(ref(steps[r][i][0]), steps[r][i][1]) for r in active)
            (total / (WORLD if initial else len(active))).backward()
            ref_opt.step()
        values[f"weight{initial}"] = same(model.module.weight, ref.weight.tolist(), f"weights (initial={initial})")
    model = DDP(torch.nn.Linear(4, 2))
    message = ""
    try:
        with Join([model], throw_on_early_termination=True):
            for x, y in _batches(RANK, 1 + RANK):
                torch.nn.functional.mse_loss(model(x), y).backward()
    except RuntimeError as exc:
        message = str(exc)
    values["message"] = message
    return values


CHECKS = {name[len("check_"):]: fn for name, fn in dict(globals()).items() if name.startswith("check_")}


def _run_all(results: dict, prefix: str) -> None:
    for name, check in CHECKS.items():
        try:
            results[prefix + name] = {"status": "ok", "values": check()}
        except Exception:
            results[prefix + name] = {"status": traceback.format_exc(), "values": None}
        dist.barrier()


def main() -> None:
    global RANK, WORLD
    out = Path(sys.argv[2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kittygrad's note that MPI serves "gloo"
        dist.init_process_group("gloo")
    RANK, WORLD = dist.get_rank(), dist.get_world_size()
    torch.set_default_dtype(torch.float64)
    results: dict = {}
    if LIB == "torch":
        _run_all(results, "")
    else:
        for semantics in ("seed", "torch"):
            torch.autograd.set_backward_semantics(semantics)
            _run_all(results, f"{semantics}/")
    (out / f"nn.{LIB}.{WORLD}.{RANK}.json").write_text(json.dumps(results))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
