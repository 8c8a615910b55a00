"""Word-level LSTM text generation on a tiny corpus of templated sentences: a vocabulary built with
collections.Counter, truncated BPTT with hidden-state detaching, and sampling at several
temperatures written by hand -- softmax(logits / T), cumsum, torch.rand and torch.searchsorted --
plus top-k filtering with topk and masked_fill. Also checks the hand sampler's frequencies
against the target probabilities.

tolerance: rtol=2e-3 atol=1e-5
"""
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
subjects = ["the cat", "a dog", "my friend", "the teacher"]
verbs = ["sees", "likes", "finds", "follows"]
objects = ["the ball", "a bird", "the garden", "some bread"]
sentences = []
g = torch.Generator().manual_seed(1)
for i in range(60):
    s, v, o = (torch.randint(0, 4, (3,), generator=g)).tolist()
    sentences.append(f"{subjects[s]} {verbs[v]} {objects[o]} .")
text = " ".join(sentences).split()
counts = Counter(text)
itos = ["<unk>"] + sorted(counts, key=lambda w: (-counts[w], w))
stoi = {w: i for i, w in enumerate(itos)}
data = torch.tensor([stoi[w] for w in text])
print(len(text), len(itos), itos[:6], counts.most_common(3))

# --- the hand-written sampler ---
def sample_next(logits, temperature=1.0, top_k=None):
    logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, top_k).values[..., -1, None]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = F.softmax(logits, dim=-1)
    cdf = probs.cumsum(-1)
    u = torch.rand(probs.shape[:-1] + (1,))
    return torch.searchsorted(cdf, u * cdf[..., -1:]).clamp(max=probs.size(-1) - 1).squeeze(-1)

target = torch.tensor([0.1, 0.2, 0.3, 0.4])
draws = sample_next(target.log().expand(4000, 4))
freq = torch.bincount(draws, minlength=4) / 4000.0
print("sampler frequencies", freq, (freq - target).abs().max().item() < 0.03)
print(torch.searchsorted(torch.tensor([0.1, 0.3, 0.6, 1.0]), torch.tensor([0.05, 0.1, 0.45, 0.99])))


class WordLSTM(nn.Module):
    def __init__(self, vocab, emb=24, hidden=48):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=1, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        h, state = self.lstm(self.embed(x), state)
        return self.out(h), state


model = WordLSTM(len(itos))
print(model.lstm, [tuple(p.shape) for p in model.lstm.parameters()])
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
batch, bptt = 8, 10
n = (len(data) - 1) // batch
stream_x = data[: n * batch].view(batch, n)
stream_y = data[1: n * batch + 1].view(batch, n)
for epoch in range(6):
    state = None
    total, count = 0.0, 0
    for i in range(0, n - bptt + 1, bptt):
        xb, yb = stream_x[:, i:i + bptt], stream_y[:, i:i + bptt]
        if state is not None:
            state = tuple(s.detach() for s in state)
        logits, state = model(xb, state)
        loss = F.cross_entropy(logits.reshape(-1, len(itos)), yb.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        total += loss.item()
        count += 1
    print(f"epoch {epoch} loss {total / count:.3f} ppl {torch.exp(torch.tensor(total / count)).item():.2f}")

model.eval()
with torch.no_grad():
    prompt = torch.tensor([[stoi["the"], stoi["cat"]]])
    logits, state = model(prompt)
    last = logits[0, -1]
    probs = F.softmax(last, -1)
    top = torch.topk(probs, 3)
    print("after 'the cat':", [itos[i] for i in top.indices.tolist()], top.values.round(decimals=2))
    for T in (0.5, 1.0, 1.5):
        p_T = F.softmax(last / T, -1)
        ent = -(p_T * p_T.clamp_min(1e-12).log()).sum().item()
        print(f"T={T} entropy {ent:.3f} max prob {p_T.max().item():.3f}")
    torch.manual_seed(123)
    for T, k in ((0.3, None), (1.0, 5)):
        words = ["the", "cat"]
        tok, st = prompt, None
        logits, st = model(tok, st)
        nxt = sample_next(logits[0, -1], T, k)
        for _ in range(8):
            words.append(itos[nxt.item()])
            logits, st = model(nxt.view(1, 1), st)
            nxt = sample_next(logits[0, -1], T, k)
        print(f"T={T} top_k={k}:", " ".join(words))
