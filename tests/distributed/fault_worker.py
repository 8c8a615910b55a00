"""Run under ``mpiexec -n 2``: rank 1 raises in the middle of a DDP backward.

Rank 0 is then waiting for rank 1's gradients; the job must still end (every rank non-zero) with
rank 1's traceback on stderr. Rank 0 prints ``rank 0 finished`` only if it was not stopped.
"""

from __future__ import annotations

import kittygrad as kitty
import kittygrad.distributed as dist
from kittygrad.nn.parallel import DistributedDataParallel as DDP


def fail_here(grad):
    raise RuntimeError("boom: rank 1 failed mid-backward")


def arm_failure(module, args, out) -> None:
    out.register_hook(fail_here)


def main() -> None:
    dist.init_process_group("gloo")
    net = kitty.nn.Sequential(kitty.nn.Linear(4, 8), kitty.nn.Tanh(), kitty.nn.Linear(8, 2))
    model = DDP(net, bucket_cap_mb=0.0001)  # one bucket per parameter: the last layer's is reduced first
    for step in range(3):
        if dist.get_rank() == 1 and step == 1:  # fail after the last layer's gradients went out
            net[1].register_forward_hook(arm_failure)
        model(kitty.randn(3, 4)).sum().backward()
    print(f"rank {dist.get_rank()} finished", flush=True)


if __name__ == "__main__":
    main()
