"""Text for the character-level examples: Python's own help topics (pydoc_data ships with Python)."""
from __future__ import annotations

import math
from collections import Counter

import kittygrad as kitty


def load_text(max_chars: int = 400_000) -> str:
    from pydoc_data.topics import topics

    return "\n".join(topics[k] for k in sorted(topics))[:max_chars]


class CharData:
    """Encodes text as int64 ids and draws random (input, target) windows for next-char prediction."""

    def __init__(self, text: str, seed: int = 0) -> None:
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}
        self.ids = kitty.tensor([self.index[c] for c in text], dtype=kitty.int64)
        split = int(len(text) * 0.9)
        self.train, self.valid = self.ids[:split], self.ids[split:]
        self.generator = kitty.Generator().manual_seed(seed)
        counts = Counter(text)
        total = sum(counts.values())
        #: cross-entropy (nats) of predicting every character by its frequency alone
        self.unigram_loss = -sum(n / total * math.log(n / total) for n in counts.values())

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def batch(self, batch_size: int, length: int, valid: bool = False):
        data = self.valid if valid else self.train
        starts = kitty.randint(0, len(data) - length - 1, (batch_size,), generator=self.generator)
        offsets = kitty.arange(length)
        idx = starts.unsqueeze(1) + offsets
        return data[idx], data[idx + 1]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)

    def encode(self, text: str):
        return kitty.tensor([self.index[c] for c in text if c in self.index], dtype=kitty.int64)
