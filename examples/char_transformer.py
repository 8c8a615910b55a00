"""A small character-level GPT trained on Python's own help text, printing samples as it learns.

Embedding -> causal self-attention blocks (LayerNorm, attention, MLP) -> next-character logits,
trained with AdamW. The loss is compared with the unigram baseline: predicting each character
by its frequency alone.

    python examples/char_transformer.py [--steps 1500] [--smoke]
"""
from __future__ import annotations

import argparse
import time

import kittygrad as kitty
import kittygrad.nn as nn
import kittygrad.nn.functional as F

try:
    from _text import CharData, load_text
except ImportError:  # run from elsewhere
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _text import CharData, load_text


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CharGPT(nn.Module):
    def __init__(self, vocab: int, context: int, dim: int = 96, heads: int = 4, layers: int = 3) -> None:
        super().__init__()
        self.context = context
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(context, dim)
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tok(ids) + self.pos(kitty.arange(t))
        return self.head(self.ln(self.blocks(x)))

    @kitty.no_grad()
    def generate(self, ids, n: int, temperature: float = 0.8, generator=None):
        self.eval()
        for _ in range(n):
            logits = self(ids[:, -self.context :])[:, -1] / temperature
            nxt = kitty.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)
            ids = kitty.cat([ids, nxt], dim=1)
        self.train()
        return ids


def estimate_loss(model, data: CharData, context: int, batches: int = 4) -> float:
    model.eval()
    with kitty.no_grad():
        total = 0.0
        for _ in range(batches):
            x, y = data.batch(32, context, valid=True)
            total += F.cross_entropy(model(x).reshape(-1, data.vocab_size), y.reshape(-1)).item()
    model.train()
    return total / batches


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--smoke", action="store_true", help="a short run; asserts the loss beats the unigram baseline")
    args = parser.parse_args(argv)
    steps, context = (150, 32) if args.smoke else (args.steps, args.context)

    kitty.manual_seed(0)
    data = CharData(load_text(120_000 if args.smoke else 400_000))
    model = CharGPT(data.vocab_size, context, dim=64 if args.smoke else 96, layers=2 if args.smoke else 3)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{len(data.ids):,} characters, vocabulary {data.vocab_size}, model {n_params:,} parameters")
    print(f"unigram baseline: {data.unigram_loss:.3f} nats/char")
    optimizer = kitty.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = kitty.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    sample_gen = kitty.Generator().manual_seed(1)
    prompt = data.encode("def ").unsqueeze(0)
    start = time.perf_counter()
    every = max(1, steps // 5)
    for step in range(1, steps + 1):
        x, y = data.batch(args.batch_size, context)
        loss = F.cross_entropy(model(x).reshape(-1, data.vocab_size), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        kitty.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % every == 0 or step == steps:
            val = estimate_loss(model, data, context)
            print(f"step {step:5d}  train {loss.item():.3f}  valid {val:.3f}  ({time.perf_counter() - start:.0f} s)")
            sample = data.decode(model.generate(prompt, 80, generator=sample_gen)[0].tolist())
            print("   sample: " + sample.replace("\n", "\\n"))
    val = estimate_loss(model, data, context, batches=8)
    print(f"validation loss {val:.3f} nats/char vs unigram baseline {data.unigram_loss:.3f}")
    if args.smoke:
        assert val < data.unigram_loss - 0.3, f"loss {val:.3f} is not clearly below the unigram {data.unigram_loss:.3f}"
    return val


if __name__ == "__main__":
    main()
