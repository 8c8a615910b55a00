"""Decoding from a small GRU language model: train it on a toy grammar, then greedy decoding,
top-k / top-p filtering with masked_fill and sort/cumsum/scatter, and batched beam search with
topk over flattened (beam x vocab) scores, gather/index_select for reordering hidden states,
and a length penalty.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

vocab = ["<pad>", "<s>", "</s>", "the", "cat", "dog", "sat", "ran", "on", "mat", "away", "a"]
stoi = {w: i for i, w in enumerate(vocab)}
BOS, EOS, V = stoi["<s>"], stoi["</s>"], len(vocab)
corpus = ["the cat sat on the mat", "the dog ran away", "a cat ran away", "a dog sat on a mat",
          "the cat ran", "the dog sat on the mat"]
seqs = [torch.tensor([BOS] + [stoi[w] for w in s.split()] + [EOS]) for s in corpus]
batch = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=0)
inputs, targets = batch[:, :-1], batch[:, 1:]
print(batch.shape, (targets != 0).sum().item())


class LM(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.embed = nn.Embedding(V, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, V)

    def forward(self, x, h=None):
        o, h = self.rnn(self.embed(x), h)
        return self.out(o), h


model = LM()
opt = torch.optim.Adam(model.parameters(), lr=0.02)
for step in range(150):
    logits, _ = model(inputs)
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=0)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 30 == 0:
        print(f"step {step:3d} loss {loss.item():.4f}")
model.eval()


def decode(ids):
    return " ".join(vocab[i] for i in ids if i not in (BOS, EOS, 0))


@torch.no_grad()
def greedy(prefix, max_len=8):
    x = torch.tensor([[BOS] + [stoi[w] for w in prefix.split()]])
    logits, h = model(x)
    out = x[0].tolist()
    for _ in range(max_len):
        nxt = logits[0, -1].argmax().item()
        out.append(nxt)
        if nxt == EOS:
            break
        logits, h = model(torch.tensor([[nxt]]), h)
    return out


for p in ["the", "a dog", "the cat ran"]:
    print("greedy:", p, "->", decode(greedy(p)))


def top_k_top_p(logits, k=0, p=1.0):
    if k > 0:
        kth = torch.topk(logits, k, dim=-1).values[..., -1, None]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if p < 1.0:
        sorted_logits, sorted_idx = torch.sort(logits, descending=True, dim=-1)
        cum = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove = cum > p
        remove[..., 1:] = remove[..., :-1].clone()
        remove[..., 0] = False
        mask = remove.scatter(-1, sorted_idx, remove)
        logits = logits.masked_fill(mask, float("-inf"))
    return logits


with torch.no_grad():
    logits, _ = model(torch.tensor([[BOS, stoi["the"]]]))
    last = logits[:, -1]
    print(F.softmax(last, dim=-1).topk(3))
    print(torch.isinf(top_k_top_p(last, k=3)).sum().item(), torch.isinf(top_k_top_p(last, p=0.9)).sum().item())
    filtered = F.softmax(top_k_top_p(last, k=4, p=0.95), dim=-1)
    print(filtered)


@torch.no_grad()
def beam_search(prefixes, beam=3, max_len=8, alpha=0.7):
    B = len(prefixes)
    # all prefixes have the same length here, so they run as one batch
    x = torch.tensor([[BOS] + [stoi[w] for w in p.split()] for p in prefixes])
    logits, h = model(x)                                        # h: (1, B, D)
    logp = F.log_softmax(logits[:, -1], dim=-1)                 # (B, V)
    scores, tok = logp.topk(beam, dim=-1)                       # (B, beam)
    seqs = torch.cat([x.unsqueeze(1).expand(-1, beam, -1), tok.unsqueeze(2)], dim=2)  # (B, beam, L)
    h = h.repeat_interleave(beam, dim=1)                        # (1, B*beam, D)
    finished = tok == EOS
    for _ in range(max_len - 1):
        logits, h = model(seqs[:, :, -1].reshape(-1, 1), h)
        logp = F.log_softmax(logits[:, -1], dim=-1).view(B, beam, V)
        logp = logp.masked_fill(finished.unsqueeze(2), float("-inf"))
        logp[..., EOS] = torch.where(finished, torch.zeros_like(scores), logp[..., EOS])  # finished beams stay put
        cand = (scores.unsqueeze(2) + logp).view(B, -1)
        scores, flat = cand.topk(beam, dim=-1)
        origin = torch.div(flat, V, rounding_mode="floor")
        token = flat % V
        seqs = torch.cat([seqs.gather(1, origin.unsqueeze(2).expand(-1, -1, seqs.size(2))), token.unsqueeze(2)], dim=2)
        flat_origin = (origin + torch.arange(B).unsqueeze(1) * beam).view(-1)
        h = h.index_select(1, flat_origin)
        finished = finished.gather(1, origin) | (token == EOS)
        if finished.all():
            break
    lengths = ((seqs != EOS).cumsum(dim=2) == torch.arange(1, seqs.size(2) + 1)).sum(dim=2).float()
    normalized = scores / lengths.pow(alpha)
    best = normalized.argmax(dim=1)
    return seqs, scores, normalized, best


seqs_out, scores, normalized, best = beam_search(["the", "a"])
print(seqs_out.shape, scores.shape)
print(scores)
print(normalized)
for b in range(2):
    print([decode(s.tolist()) for s in seqs_out[b]], "best:", best[b].item())
