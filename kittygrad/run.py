"""Run an unmodified PyTorch script on kittygrad: ``python -m kittygrad.run script.py [args...]``.

Every ``import torch`` / ``import torch.nn.functional as F`` / ``from torch.utils.data import ...``
in the script (and in the modules it imports) is served by the matching kittygrad module, printed
dtypes and shapes say ``torch.`` as they would under torch, and backward runs with torch's semantics (uses a backward cannot reach do not hold gradients back;
see ``kittygrad.autograd.set_backward_semantics``). At exit, the runner lists on stderr every
torch name the script asked for that kittygrad lacks, with the line that asked for it — so a
script that fails tells you what to add, and one that runs tells you what it skipped.

>>> import subprocess, sys, tempfile, os
>>> src = "import torch\\nprint(torch.ones(2).sum().item())\\n"
>>> with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
...     _ = f.write(src)
>>> subprocess.run([sys.executable, "-m", "kittygrad.run", f.name], capture_output=True, text=True).stdout
'2.0\\n'
>>> os.unlink(f.name)
"""
from __future__ import annotations

import atexit
import gc
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import sysconfig
import traceback
import types

import kittygrad
from kittygrad import _display, errors
from kittygrad.autograd import set_backward_semantics
from kittygrad.autograd.engine import Node
from kittygrad.linalg import LinAlgError
from kittygrad.tensor import Tensor
from kittygrad.torch_version import TorchVersion

#: what ``torch.__version__`` reads under the runner: the PyTorch release whose API kittygrad matches
TORCH_API_VERSION = "2.13.0+kittygrad"
#: (torch name, "file:line") of every name a script asked for that kittygrad lacks, in order
missing: list[tuple[str, str]] = []
_KITTY_DIR = os.path.dirname(os.path.abspath(kittygrad.__file__)) + os.sep
_THIS_FILE = os.path.abspath(__file__)


def _call_site_and_path() -> tuple[str, str]:
    """The innermost frame outside kittygrad and the import machinery (the user's line, or the
    library's that asked), as ``file:line``, and that file's path."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        path = os.path.abspath(frame.filename)
        if not path.startswith(_KITTY_DIR) and "importlib" not in path and not path.startswith("<frozen"):
            return f"{os.path.basename(frame.filename)}:{frame.lineno}", path
    return "?", ""


#: where installed packages and the standard library live: a miss from there is a library probing
#: an object's type (matplotlib and pandas ask a tensor for ``values``, ``index``, ``to_numpy``)
_LIBRARY_DIRS = tuple(sorted({os.path.abspath(p) + os.sep for key, p in sysconfig.get_paths().items()
                              if key in ("purelib", "platlib", "stdlib", "platstdlib")}))


def _record(name: str, probes_skipped: bool = False) -> None:
    site, path = _call_site_and_path()
    if probes_skipped and path.startswith(_LIBRARY_DIRS):
        return
    entry = (name, site)
    if entry not in missing:
        missing.append(entry)


class TorchModule(types.ModuleType):
    """What ``torch.<something>`` imports as: the kittygrad module, with misses recorded.

    Attribute reads are answered by the kittygrad module; a name it lacks is recorded with its
    call site and raises AttributeError as usual (so ``hasattr`` and ``getattr(x, n, d)`` work).
    """

    def __init__(self, torch_name: str, target: types.ModuleType) -> None:
        super().__init__(torch_name, target.__doc__)
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str):
        target = object.__getattribute__(self, "_target")
        try:
            value = getattr(target, name)
        except AttributeError:
            pass
        else:
            # torch.optim / torch.nn / torch.distributions reached as attributes, before any
            # ``import torch.optim``: serve the wrapped module, so its misses are recorded and
            # its __name__ reads torch.optim (not kittygrad.optim)
            if (isinstance(value, types.ModuleType) and not isinstance(value, TorchModule)
                    and value.__name__ == f"{target.__name__}.{name}"):
                return _served(f"{self.__name__}.{name}", value)
            return value
        if name.startswith("__"):  # the import system probing (__path__, __file__, ...): no record
            raise AttributeError(name)
        submodule = f"{target.__name__}.{name}"
        if hasattr(target, "__path__") and importlib.util.find_spec(submodule) is not None:
            return _served(f"{self.__name__}.{name}", importlib.import_module(submodule))  # torch.nn on first use
        _record(f"{self.__name__}.{name}")
        raise AttributeError(f"module '{self.__name__}' has no attribute '{name}' (kittygrad lacks it)")

    def __setattr__(self, name: str, value) -> None:
        # the import system's own attributes and submodules stay here; anything else is a flag a
        # script sets (torch.backends.cudnn.benchmark = True) and goes to the kittygrad module
        if name.startswith("__") or isinstance(value, types.ModuleType):
            object.__setattr__(self, name, value)
        else:
            setattr(object.__getattribute__(self, "_target"), name, value)

    def __dir__(self) -> list[str]:
        return dir(object.__getattribute__(self, "_target"))


def _served(torch_name: str, target: types.ModuleType) -> TorchModule:
    module = sys.modules.get(torch_name)
    if not isinstance(module, TorchModule):
        module = TorchModule(torch_name, target)
        sys.modules[torch_name] = module
        _name_classes_as_torch()  # the classes of kittygrad modules this import brought in
    return module


class TorchFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``torch`` and ``torch.*`` imports from ``kittygrad`` and ``kittygrad.*``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        kitty_name = "kittygrad" + fullname[len("torch"):]
        if importlib.util.find_spec(kitty_name) is None:
            _record(fullname)
            return None  # the normal machinery then raises ModuleNotFoundError for the script
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = _served(spec.name, importlib.import_module("kittygrad" + spec.name[len("torch"):]))
        if spec.name == "torch":
            # scripts compare torch.__version__ to pick code paths: answer the torch whose API
            # kittygrad follows (kittygrad.__version__ stays kittygrad's own); torch.version too
            build = _served("torch.version", importlib.import_module("kittygrad.version"))
            object.__setattr__(build, "__version__", TORCH_API_VERSION)  # (a plain str there, as torch's)
            object.__setattr__(module, "version", build)
            # torch.__version__ compares as a version ("2.13.0" >= "2.9", >= (2, 1)), as torch's
            compared = _served("torch.torch_version", importlib.import_module("kittygrad.torch_version"))
            for served in (module, compared):
                object.__setattr__(served, "__version__", TorchVersion(TORCH_API_VERSION))
            object.__setattr__(module, "torch_version", compared)
        return module

    def exec_module(self, module) -> None:
        pass


def _record_tensor_misses() -> None:
    """A Tensor attribute kittygrad lacks is recorded too (``__getattr__`` runs only on misses)."""

    def __getattr__(self, name: str):
        if not name.startswith("__"):
            _record(f"torch.Tensor.{name}", probes_skipped=True)
        raise AttributeError(f"'Tensor' object has no attribute '{name}' (kittygrad lacks it)")

    Tensor.__getattr__ = __getattr__


def _name_errors_as_torch() -> None:
    """kittygrad's errors answer to the built-in names torch raises: a script printing
    ``type(e).__name__`` sees ``RuntimeError``, not ``KittyRuntimeError``, and ``print(type(e))``
    ``<class 'RuntimeError'>``. Each class is also reachable under that name in
    ``kittygrad.errors``, where pickling one finds it (``KittygradError.__reduce__``)."""
    for cls in (errors.KittyRuntimeError, errors.KittyTypeError, errors.KittyValueError,
                errors.KittyIndexError, errors.KittyNotImplementedError):
        builtin = cls.__name__.removeprefix("Kitty")
        cls.__name__ = cls.__qualname__ = builtin
        cls.__module__ = "builtins"  # print(type(e)) and tracebacks read <class 'RuntimeError'>
        setattr(errors, builtin, cls)
    # torch.linalg.LinAlgError is torch._C._LinAlgError: a GP script catching a failed Cholesky
    # and printing the type's name sees the underscored name
    decompositions = sys.modules[LinAlgError.__module__]
    LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"
    decompositions._LinAlgError = LinAlgError


#: classes whose torch twin lives in another module than the prefix swap names (torch keeps its
#: schedulers in one module and its return types in return_types; Size, dtype and the other
#: classes torch exports at its top print themselves, through _display.PublicType)
_TORCH_HOMES = {"kittygrad.autograd.hooks.RemovableHandle": "torch.utils.hooks"}
_TORCH_PACKAGES = {"kittygrad.optim.lr_scheduler": "torch.optim.lr_scheduler",
                   "kittygrad.ops._return_types": "torch.return_types"}
_renamed_modules: set[str] = set()


def _torch_home(cls: type) -> str:
    """The module torch's twin of kittygrad class ``cls`` is defined in (``torch.nn.modules.linear``)."""
    module = cls.__module__
    if f"{module}.{cls.__qualname__}" in _TORCH_HOMES:
        return _TORCH_HOMES[f"{module}.{cls.__qualname__}"]
    for package, home in _TORCH_PACKAGES.items():
        if module == package or module.startswith(package + "."):
            return home
    return "torch" + module[len("kittygrad"):]


def _name_classes_as_torch() -> None:
    """Classes a script prints (``print(type(model.fc))``) read ``<class 'torch.nn.modules.linear.Linear'>``.

    Every class kittygrad defines moves to its torch twin's module name, which the runner serves, so
    pickling one still finds it. Left as they are: the autograd nodes (named per node as they
    are read, see ``_type_nodes_as_torch``), errors (already named as the built-ins torch raises), and classes
    whose metaclass prints them itself (tensors, Size, dtype, device, legacy tensor types). Runs as each torch module is
    served, so a kittygrad module imported later is named too.
    """
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("kittygrad") or module_name in _renamed_modules or module is None:
            continue
        _renamed_modules.add(module_name)
        for value in list(vars(module).values()):
            if (isinstance(value, type) and type(value).__repr__ is type.__repr__
                    and value.__module__ == module_name and not issubclass(value, (Node, BaseException))):
                value.__module__ = _torch_home(value)


#: node classes whose instances' type already reads torch's name: the per-name subclasses made
#: below, and classes named as torch names all their nodes (custom Functions' ``<Name>Backward``)
_torch_typed: set = set()
_torch_named_subclasses: dict = {}


def _as_torch_typed(node):
    """``node``, its class swapped (once) for a subclass named as torch names this node, so that
    ``type(t.grad_fn).__name__`` reads ``AddBackward0``, ``TBackward0``, ``MseLossBackward0`` as
    torchviz-style graph walks print it (kittygrad's classes are ``Add``, ``Transpose``,
    ``PointwiseLoss``, and which torch node one records can depend on the call)."""
    if node is None:
        return None
    cls = node.__class__
    if cls in _torch_typed:
        return node
    name = node.shown_name()
    if name == cls.__name__:  # a custom Function's node (``ScaleBackward``), AccumulateGrad
        _torch_typed.add(cls)
        return node
    sub = _torch_named_subclasses.get((cls, name))
    if sub is None:
        sub = _torch_named_subclasses[cls, name] = type(name, (cls,), {
            "_name": cls._name, "__module__": cls.__module__, "__qualname__": name, "__slots__": ()})
        _torch_typed.add(sub)
    node.__class__ = sub
    return node


def _type_nodes_as_torch() -> None:
    """Nodes read through ``Tensor.grad_fn`` and ``Node.next_functions`` answer ``type()`` with torch's name."""
    grad_fn = Tensor.grad_fn.fget
    Tensor.grad_fn = property(lambda self: _as_torch_typed(grad_fn(self)), doc=Tensor.grad_fn.__doc__)
    next_functions = Node.next_functions.fget
    Node.next_functions = property(
        lambda self: tuple([(_as_torch_typed(n), nr) for n, nr in next_functions(self)]),
        doc=Node.next_functions.__doc__)


def _report() -> None:
    if not missing:
        return
    lines = [f"  {name}  ({site})" for name, site in missing]
    print(f"kittygrad.run: the script asked for {len(missing)} torch name(s) kittygrad lacks:", *lines,
          sep="\n", file=sys.stderr)


def install() -> None:
    """Serve ``torch`` from kittygrad in this process, with torch's backward semantics."""
    for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
        del sys.modules[name]  # a real torch imported earlier must not answer later imports
    sys.meta_path.insert(0, TorchFinder())
    set_backward_semantics("torch")
    _display.name = "torch"  # printed dtypes and shapes read torch.float32, torch.Size([...])
    _record_tensor_misses()
    _name_errors_as_torch()
    _type_nodes_as_torch()
    atexit.register(_report)


def main(argv: list[str] | None = None) -> None:
    """``python -m kittygrad.run script.py [args...]`` (or ``-m module [args...]``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        print("usage: python -m kittygrad.run script.py [args...] | -m module [args...]", file=sys.stderr)
        raise SystemExit(0 if argv else 2)
    install()
    # Everything alive now is the interpreter's and kittygrad's (NumPy, SciPy, the modules and
    # their tables, about 66,000 objects), none of the script's: freezing it keeps the cyclic GC's
    # full collections, which a long autograd graph sets off every few thousand ops, to the
    # script's own objects (22-37 ms each here, 2-5 ms after). New objects are collected as ever.
    gc.freeze()
    if argv[0] == "-m" and len(argv) > 1:
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
