"""Communication hooks for ``DistributedDataParallel.register_comm_hook``.

``default_hooks`` holds torch's stock ones: ``allreduce_hook`` (what DDP does without a hook),
``fp16_compress_hook`` / ``bf16_compress_hook`` (the bucket travels in 16 bits), and the
``fp16_compress_wrapper`` / ``bf16_compress_wrapper`` that give another hook a 16-bit bucket.
PowerSGD and the other stateful hooks are not provided.
"""

from . import default_hooks

__all__ = ["default_hooks"]
