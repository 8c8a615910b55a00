"""The character-level task of char_transformer.py with a recurrent network (LSTM or GRU).

    python examples/char_rnn.py [--cell lstm|gru] [--steps 1500] [--smoke]
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


class CharRNN(nn.Module):
    def __init__(self, vocab: int, cell: str = "lstm", dim: int = 128, layers: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn_cls(dim, dim, num_layers=layers, batch_first=True)
        self.head = nn.Linear(dim, vocab)

    def forward(self, ids, state=None):
        out, state = self.rnn(self.embed(ids), state)
        return self.head(out), state

    @kitty.no_grad()
    def generate(self, ids, n: int, temperature: float = 0.8, generator=None):
        self.eval()
        logits, state = self(ids)
        out = [ids]
        for _ in range(n):
            probs = F.softmax(logits[:, -1] / temperature, dim=-1)
            nxt = kitty.multinomial(probs, 1, generator=generator)
            out.append(nxt)
            logits, state = self(nxt, state)
        self.train()
        return kitty.cat(out, dim=1)


def valid_loss(model, data: CharData, length: int, batches: int = 4) -> float:
    model.eval()
    total = 0.0
    with kitty.no_grad():
        for _ in range(batches):
            x, y = data.batch(32, length, valid=True)
            logits, _ = model(x)
            total += F.cross_entropy(logits.reshape(-1, data.vocab_size), y.reshape(-1)).item()
    model.train()
    return total / batches


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--smoke", action="store_true", help="a short run; asserts the loss beats the unigram baseline")
    args = parser.parse_args(argv)
    steps, length = (120, 32) if args.smoke else (args.steps, args.length)

    kitty.manual_seed(0)
    data = CharData(load_text(120_000 if args.smoke else 400_000))
    model = CharRNN(data.vocab_size, args.cell, dim=64 if args.smoke else 128, layers=1 if args.smoke else 2)
    print(f"{args.cell.upper()}: {sum(p.numel() for p in model.parameters()):,} parameters; unigram baseline {data.unigram_loss:.3f} nats/char")
    optimizer = kitty.optim.Adam(model.parameters(), lr=args.lr)
    sample_gen = kitty.Generator().manual_seed(1)
    prompt = data.encode("The ").unsqueeze(0)
    every = max(1, steps // 5)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = data.batch(32, length)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, data.vocab_size), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % every == 0 or step == steps:
            print(f"step {step:5d}  train {loss.item():.3f}  valid {valid_loss(model, data, length):.3f}  ({time.perf_counter() - start:.0f} s)")
            print("   sample: " + data.decode(model.generate(prompt, 60, generator=sample_gen)[0].tolist()).replace("\n", "\\n"))
    val = valid_loss(model, data, length, batches=8)
    print(f"validation loss {val:.3f} nats/char vs unigram baseline {data.unigram_loss:.3f}")
    if args.smoke:
        assert val < data.unigram_loss - 0.3, f"loss {val:.3f} is not clearly below the unigram {data.unigram_loss:.3f}"
    return val


if __name__ == "__main__":
    main()
