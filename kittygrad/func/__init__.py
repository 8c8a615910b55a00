"""kittygrad.func: composable function transforms, as ``torch.func``.

>>> import kittygrad as kitty
>>> kitty.func.grad(lambda x: (x ** 2).sum())(kitty.tensor([1., 2.]))
tensor([2., 4.])
"""

from __future__ import annotations

from . import _batching_rules_more  # noqa: F401  (adds its rules to the batching rules' tables)
from . import _function_rule  # noqa: F401  (custom autograd.Functions inside vmap)
from ._eager import debug_unwrap, functionalize
from ._forward import hessian, jacfwd, jvp, linearize
from ._functional_call import functional_call, replace_all_batch_norm_modules_, stack_module_state
from ._reverse import grad, grad_and_value, jacrev, vjp
from ._vmap import vmap

__all__ = [
    "debug_unwrap",
    "functional_call",
    "functionalize",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "replace_all_batch_norm_modules_",
    "stack_module_state",
    "vjp",
    "vmap",
]
