"""A BiLSTM-CRF sequence tagger in the style of the PyTorch NER tutorial, batched: emission scores
from a bidirectional LSTM, a learned transition matrix, the forward algorithm with logsumexp under a
padding mask, the gold path score with gather, and Viterbi decoding with max and backpointers.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn

torch.manual_seed(0)

sentences = [
    ("the wall street journal reported today that apple corporation made money", "B I I I O O O B I O O"),
    ("georgia tech is a university in georgia", "B I O O O O B"),
    ("john smith works at google", "B I O O B"),
    ("mary lives in paris", "B O O B"),
]
tag_to_ix = {"O": 0, "B": 1, "I": 2}
START, STOP = 3, 4
n_tags = 5
words = sorted({w for s, _ in sentences for w in s.split()})
word_to_ix = {w: i + 1 for i, w in enumerate(words)}  # 0 is padding
print(len(word_to_ix), n_tags)

seqs = [torch.tensor([word_to_ix[w] for w in s.split()]) for s, _ in sentences]
tags = [torch.tensor([tag_to_ix[t] for t in ts.split()]) for _, ts in sentences]
lengths = torch.tensor([len(s) for s in seqs])
x = nn.utils.rnn.pad_sequence(seqs, batch_first=True)
y = nn.utils.rnn.pad_sequence(tags, batch_first=True)
mask = torch.arange(x.size(1))[None, :] < lengths[:, None]
print(x.shape, mask.sum(dim=1), mask.dtype)


class BiLSTMCRF(nn.Module):
    def __init__(self, vocab, emb=8, hidden=8):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden // 2, num_layers=1, bidirectional=True, batch_first=True)
        self.hidden2tag = nn.Linear(hidden, n_tags)
        trans = torch.randn(n_tags, n_tags)  # trans[i, j]: score of moving from j to i
        trans[START, :] = -10000.0
        trans[:, STOP] = -10000.0
        self.transitions = nn.Parameter(trans)

    def emissions(self, x):
        out, _ = self.lstm(self.embed(x))
        return self.hidden2tag(out)  # (B, T, n_tags)

    def log_partition(self, feats, mask):
        B, T, _ = feats.shape
        alpha = torch.full((B, n_tags), -10000.0)
        alpha[:, START] = 0.0
        for t in range(T):
            # scores[b, i, j] = alpha[b, j] + trans[i, j] + emit[b, i]
            scores = alpha.unsqueeze(1) + self.transitions.unsqueeze(0) + feats[:, t].unsqueeze(2)
            new_alpha = torch.logsumexp(scores, dim=2)
            alpha = torch.where(mask[:, t:t + 1], new_alpha, alpha)
        return torch.logsumexp(alpha + self.transitions[STOP].unsqueeze(0), dim=1)

    def gold_score(self, feats, tags, mask):
        B, T, _ = feats.shape
        emit = feats.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        prev = torch.cat([torch.full((B, 1), START, dtype=torch.long), tags[:, :-1]], dim=1)
        trans = self.transitions[tags, prev]  # (B, T)
        score = ((emit + trans) * mask.float()).sum(dim=1)
        last = tags.gather(1, (mask.sum(dim=1) - 1).unsqueeze(1)).squeeze(1)
        return score + self.transitions[STOP, last]

    def neg_log_likelihood(self, x, tags, mask):
        feats = self.emissions(x)
        return (self.log_partition(feats, mask) - self.gold_score(feats, tags, mask)).mean()

    def viterbi(self, x, mask):
        feats = self.emissions(x)
        B, T, _ = feats.shape
        score = torch.full((B, n_tags), -10000.0)
        score[:, START] = 0.0
        backpointers = []
        for t in range(T):
            cand = score.unsqueeze(1) + self.transitions.unsqueeze(0)  # (B, i, j)
            best, idx = cand.max(dim=2)
            new_score = best + feats[:, t]
            score = torch.where(mask[:, t:t + 1], new_score, score)
            backpointers.append(torch.where(mask[:, t:t + 1], idx, torch.arange(n_tags).expand(B, -1)))
        final = score + self.transitions[STOP].unsqueeze(0)
        best_score, best_last = final.max(dim=1)
        path = [best_last]
        for bp in reversed(backpointers[1:]):
            path.append(bp.gather(1, path[-1].unsqueeze(1)).squeeze(1))
        path.reverse()
        return best_score, torch.stack(path, dim=1)


model = BiLSTMCRF(len(word_to_ix) + 1)
print(model)
print(model.transitions.shape, model.transitions[START])
with torch.no_grad():
    score, path = model.viterbi(x, mask)
    print("before", path[0, : lengths[0]].tolist())

opt = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=1e-4)
for epoch in range(80):
    loss = model.neg_log_likelihood(x, y, mask)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 20 == 0:
        print(f"epoch {epoch:2d} nll {loss.item():.4f}")

with torch.no_grad():
    score, path = model.viterbi(x, mask)
    print(score)
    for i in range(len(sentences)):
        print(path[i, : lengths[i]].tolist(), y[i, : lengths[i]].tolist())
    acc = ((path == y) & mask).sum().float() / mask.sum()
    print(f"token accuracy {acc.item():.4f}")
