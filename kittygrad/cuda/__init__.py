"""``kittygrad.cuda``: torch's CUDA namespace, as a CPU-only torch build answers it.

kittygrad has no GPU backend. The queries answer as on a machine without CUDA
(``is_available()`` is False, ``device_count()`` 0, the memory counters 0), the seeding calls are
no-ops (there is no GPU generator to seed; ``kittygrad.manual_seed`` seeds the CPU one), and
everything that needs a GPU raises the one clear error of ``kittygrad.device.unavailable``.

>>> import kittygrad as kitty
>>> device = kitty.device("cuda" if kitty.cuda.is_available() else "cpu"); device
device(type='cpu')
"""
from __future__ import annotations

from ..device import check_device_type, unavailable
from .._runtime import OutOfMemoryError  # noqa: F401  (torch.cuda.OutOfMemoryError is torch.OutOfMemoryError)
from ..errors import KittyValueError


def _refuse(fn: str):
    return unavailable("device 'cuda'", f"kittygrad.cuda.{fn}()")


def is_available() -> bool:
    """False: kittygrad has no CUDA backend.

    >>> import kittygrad as kitty
    >>> kitty.cuda.is_available()
    False
    """
    return False


def device_count() -> int:
    """0: no CUDA device is visible to kittygrad.

    >>> import kittygrad as kitty
    >>> kitty.cuda.device_count()
    0
    """
    return 0


def is_initialized() -> bool:
    """False: CUDA is never initialised.

    >>> import kittygrad as kitty
    >>> kitty.cuda.is_initialized()
    False
    """
    return False


def init() -> None:
    """Initialise CUDA: refused, there is no GPU backend.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.cuda.init()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'cuda' is not available (kittygrad.cuda.init() needs it); ...
    """
    raise _refuse("init")


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False, as torch answers without CUDA.

    >>> import kittygrad as kitty
    >>> kitty.cuda.is_bf16_supported()
    False
    """
    return False


def get_arch_list() -> list[str]:
    """The CUDA architectures kittygrad was built for: none.

    >>> import kittygrad as kitty
    >>> kitty.cuda.get_arch_list()
    []
    """
    return []


# ---- seeding: no-ops, as torch's when CUDA is unavailable ---------------------------------------
def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator: a no-op (there is no GPU generator), like torch without CUDA.

    ``seed`` must still convert to an int, as in torch.

    >>> import kittygrad as kitty
    >>> kitty.cuda.manual_seed(0)
    """
    int(seed)


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator: a no-op (there is no GPU generator), like torch without CUDA.

    >>> import kittygrad as kitty
    >>> kitty.cuda.manual_seed_all(0)
    """
    int(seed)


def seed() -> None:
    """Seed the current GPU's generator randomly: a no-op without a GPU.

    >>> import kittygrad as kitty
    >>> kitty.cuda.seed()
    """


def seed_all() -> None:
    """Seed every GPU's generator randomly: a no-op without a GPU.

    >>> import kittygrad as kitty
    >>> kitty.cuda.seed_all()
    """


def initial_seed() -> int:
    """The current GPU generator's seed: refused, there is no GPU generator.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.cuda.initial_seed()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'cuda' is not available (kittygrad.cuda.initial_seed() needs it); ...
    """
    raise _refuse("initial_seed")


def get_rng_state(device="cuda"):
    """A GPU generator's state: refused, there is no GPU generator.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.cuda.get_rng_state()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'cuda' is not available (kittygrad.cuda.get_rng_state() needs it); ...
    """
    raise _refuse("get_rng_state")


def set_rng_state(new_state, device="cuda") -> None:
    """Set a GPU generator's state: a no-op (torch defers it to a CUDA start that never comes).

    >>> import kittygrad as kitty
    >>> kitty.cuda.set_rng_state(kitty.zeros(2, dtype=kitty.uint8))
    """


def get_rng_state_all() -> list:
    """Every GPU generator's state: none.

    >>> import kittygrad as kitty
    >>> kitty.cuda.get_rng_state_all()
    []
    """
    return []


def set_rng_state_all(new_states) -> None:
    """Set every GPU generator's state: a no-op, there are none.

    >>> import kittygrad as kitty
    >>> kitty.cuda.set_rng_state_all([])
    """


# ---- devices ------------------------------------------------------------------------------------
def current_device() -> int:
    """The index of the current CUDA device: refused, there is none.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.cuda.current_device()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'cuda' is not available (kittygrad.cuda.current_device() needs it); ...
    """
    raise _refuse("current_device")


def set_device(device) -> None:
    """Select a CUDA device: refused; a negative index is a no-op and a non-CUDA device a ValueError, as torch.

    >>> import kittygrad as kitty
    >>> kitty.cuda.set_device(-1)
    """
    if isinstance(device, int) and not isinstance(device, bool):
        index = device
    else:
        parsed = check_device_type(device)
        if parsed.type != "cuda":
            raise KittyValueError(f"Expected a cuda device, but got: {parsed}")
        index = parsed.index
    if index is not None and index < 0:
        return
    raise _refuse("set_device")


def get_device_name(device=None) -> str:
    """A CUDA device's name: refused, there is none.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.cuda.get_device_name()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'cuda' is not available (kittygrad.cuda.get_device_name() needs it); ...
    """
    raise _refuse("get_device_name")


def get_device_properties(device=None):
    """A CUDA device's properties: refused, there is none.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.cuda.get_device_properties(0)
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'cuda' is not available (kittygrad.cuda.get_device_properties() needs it); ...
    """
    raise _refuse("get_device_properties")


def get_device_capability(device=None) -> tuple[int, int]:
    """A CUDA device's compute capability: refused, there is none.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.cuda.get_device_capability()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'cuda' is not available (kittygrad.cuda.get_device_capability() needs it); ...
    """
    raise _refuse("get_device_capability")


def synchronize(device=None) -> None:
    """Wait for a CUDA device's kernels: refused, as in a CPU-only torch.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.cuda.synchronize()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'cuda' is not available (kittygrad.cuda.synchronize() needs it); ...
    """
    raise _refuse("synchronize")


# ---- memory -------------------------------------------------------------------------------------
def empty_cache() -> None:
    """Release the CUDA caching allocator's free memory: nothing to release.

    >>> import kittygrad as kitty
    >>> kitty.cuda.empty_cache()
    """


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by tensors: 0, as torch answers without CUDA.

    >>> import kittygrad as kitty
    >>> kitty.cuda.memory_allocated()
    0
    """
    return 0


def max_memory_allocated(device=None) -> int:
    """The peak of ``memory_allocated``: 0.

    >>> import kittygrad as kitty
    >>> kitty.cuda.max_memory_allocated()
    0
    """
    return 0


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory the caching allocator holds: 0.

    >>> import kittygrad as kitty
    >>> kitty.cuda.memory_reserved()
    0
    """
    return 0


def max_memory_reserved(device=None) -> int:
    """The peak of ``memory_reserved``: 0.

    >>> import kittygrad as kitty
    >>> kitty.cuda.max_memory_reserved()
    0
    """
    return 0


def memory_stats(device=None) -> dict:
    """The caching allocator's statistics: none (an empty dict), as torch answers without CUDA.

    >>> import kittygrad as kitty
    >>> kitty.cuda.memory_stats()
    {}
    """
    return {}


def reset_peak_memory_stats(device=None) -> None:
    """Reset the allocator's peak counters: refused, there is no GPU allocator.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.cuda.reset_peak_memory_stats()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'cuda' is not available (kittygrad.cuda.reset_peak_memory_stats() needs it); ...
    """
    raise _refuse("reset_peak_memory_stats")
