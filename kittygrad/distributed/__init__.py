"""kittygrad.distributed: torch.distributed's API over MPI (mpi4py), for data-parallel training.

Start the processes with ``mpiexec -n 2 python train.py`` or
``python -m kittygrad.distributed.run --nproc-per-node 2 train.py``; in the script call
``init_process_group()`` (backend ``"mpi"``, or ``"gloo"``, which MPI serves). Importing this
package starts nothing: MPI is loaded by ``init_process_group``. Run without a launcher, a
script is a group of one.

>>> import kittygrad.distributed as dist
>>> dist.is_initialized()
False
"""

from __future__ import annotations

from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    gather,
    gather_object,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    scatter_object_list,
    send,
)
from .exchange import (
    P2POp,
    all_to_all,
    all_to_all_single,
    batch_isend_irecv,
    monitored_barrier,
    recv_object_list,
    send_object_list,
)
from .grad_bucket import GradBucket
from .process_group import (
    Backend,
    GroupMember,
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
    new_group,
)
from . import algorithms  # noqa: E402  (torch.distributed.algorithms: DDP communication hooks)

__all__ = [
    "Backend",
    "GradBucket",
    "GroupMember",
    "P2POp",
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_reduce",
    "all_to_all",
    "all_to_all_single",
    "barrier",
    "batch_isend_irecv",
    "broadcast",
    "broadcast_object_list",
    "destroy_process_group",
    "gather",
    "gather_object",
    "get_backend",
    "get_global_rank",
    "get_group_rank",
    "get_process_group_ranks",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "irecv",
    "is_available",
    "is_gloo_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "is_torchelastic_launched",
    "isend",
    "monitored_barrier",
    "new_group",
    "recv",
    "recv_object_list",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
    "scatter_object_list",
    "send",
    "send_object_list",
]
