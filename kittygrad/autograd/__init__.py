"""kittygrad.autograd: the engine's public face (backward, grad, Function, grad modes)."""
from __future__ import annotations

from .. import backend as B
from ..errors import KittyRuntimeError, KittyTypeError
from . import engine as _engine
from .engine import AccumulateGrad, Node
from .walk import run_backward
from .function import Function, FunctionCtx, InplaceFunction, NestedIOFunction, _edge, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradients import backward, backward_semantics, get_backward_semantics, grad, set_backward_semantics
from .graph_array import GraphArray

__all__ = [
    "backward",
    "grad",
    "Function",
    "FunctionCtx",
    "Node",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "Variable",
    "graph",
    "backward_semantics",
    "get_backward_semantics",
    "set_backward_semantics",
]


# ---- gradient checks, functional API, anomaly detection (as torch.autograd) -----------------
from . import (
    anomaly_mode,  # noqa: E402,F401
    functional,  # noqa: E402,F401
)
from .anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: E402,F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402,F401
from . import forward_ad  # noqa: E402,F401  (torch.autograd.forward_ad)
from . import inference_tensors  # noqa: E402,F401  (what inference_mode makes reports is_inference())

# ---- saved-tensor hooks, multi-grad hooks (torch.autograd.graph); the legacy Variable ---------
from . import graph  # noqa: E402,F401
from .variable import Variable  # noqa: E402,F401
from .engine_flags import (  # noqa: E402,F401
    enforce_grad_layout_policy,
    is_multithreading_enabled,
    is_tensor_like,
    is_view_replay_enabled,
    set_multithreading_enabled,
)
