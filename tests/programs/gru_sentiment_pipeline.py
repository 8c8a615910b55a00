"""A text-classification pipeline from raw sentences: a vocabulary built with collections.Counter
(min frequency, <pad>/<unk>), numericalisation, pad_sequence with batch_first both ways and a
padding_value, pack_padded_sequence (enforce_sorted=False) / pad_packed_sequence, pack_sequence,
nn.Embedding.from_pretrained (freeze=True/False, padding_idx), a GRU classifier trained a few
epochs with a DataLoader and a collate_fn, then accuracy and a confusion matrix.

tolerance: rtol=1e-3 atol=1e-4
"""
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset

CORPUS = [
    ("the movie was great and fun", 2), ("a boring and slow film", 0), ("it was okay i guess", 1),
    ("great acting great story", 2), ("terrible plot and bad acting", 0), ("not bad not great", 1),
    ("i loved this fun movie", 2), ("the worst film i have seen", 0), ("an average story", 1),
    ("fun fun fun", 2), ("slow boring terrible", 0), ("it was fine", 1),
    ("a great film with a great cast", 2), ("bad bad movie", 0), ("okay acting and okay plot", 1),
    ("loved it", 2), ("i hated the slow story", 0), ("the film was average", 1),
]
torch.manual_seed(0)
counter = Counter(word for text, _ in CORPUS for word in text.split())
print(len(counter), counter.most_common(5))
itos = ["<pad>", "<unk>"] + sorted(w for w, c in counter.items() if c >= 2)
stoi = {w: i for i, w in enumerate(itos)}
print(len(itos), itos[:8])


def encode(text):
    return torch.tensor([stoi.get(w, stoi["<unk>"]) for w in text.split()], dtype=torch.long)


encoded = [encode(t) for t, _ in CORPUS]
print(encoded[0], encoded[1].dtype, [len(e) for e in encoded[:6]])

few = encoded[:3]
print(pad_sequence(few).shape, pad_sequence(few, batch_first=True).shape)
print(pad_sequence(few, batch_first=True, padding_value=-1))
print(pad_sequence([torch.ones(2, 3), torch.ones(4, 3)], batch_first=True).sum(dim=(1, 2)))
lengths = torch.tensor([len(e) for e in few])
packed = pack_padded_sequence(pad_sequence(few, batch_first=True), lengths, batch_first=True, enforce_sorted=False)
print(packed.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
unpacked, out_lengths = pad_packed_sequence(packed, batch_first=True)
print(unpacked, out_lengths)
unpacked_tf, _ = pad_packed_sequence(packed, padding_value=99, total_length=8)
print(unpacked_tf.shape, unpacked_tf[:, 0])
ps = pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5])])
print(ps.batch_sizes, ps.data)

pretrained = torch.randn(len(itos), 8)
pretrained[0] = 0
frozen = nn.Embedding.from_pretrained(pretrained, freeze=True, padding_idx=0)
trainable = nn.Embedding.from_pretrained(pretrained, freeze=False)
print(frozen.weight.requires_grad, trainable.weight.requires_grad, frozen.padding_idx, trainable.padding_idx)
print(frozen(torch.tensor([0, 2])).shape, torch.equal(frozen.weight, pretrained), frozen)
emb = nn.Embedding(5, 3, padding_idx=0)
print(emb.weight[0], emb(torch.tensor([[0, 1]])).sum(-1) != 0)
emb(torch.tensor([0, 0, 1])).sum().backward()
print(emb.weight.grad[:2])


class TextDataset(Dataset):
    def __init__(self, pairs):
        self.items = [(encode(t), y) for t, y in pairs]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate(batch):
    seqs, ys = zip(*batch)
    lens = torch.tensor([len(s) for s in seqs])
    return pad_sequence(list(seqs), batch_first=True, padding_value=stoi["<pad>"]), lens, torch.tensor(ys)


class GRUClassifier(nn.Module):
    def __init__(self, vectors, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=0)
        self.gru = nn.GRU(vectors.shape[1], hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, tokens, lens):
        x = self.embedding(tokens)
        packed = pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        features = torch.cat([h[-2], h[-1]], dim=1)
        return self.head(self.dropout(features))


dataset = TextDataset(CORPUS)
loader = DataLoader(dataset, batch_size=6, shuffle=True, collate_fn=collate)
tokens, lens, ys = next(iter(loader))
print(tokens.shape, lens, ys)
model = GRUClassifier(pretrained, 12, 3)
print(model)
print(sum(p.numel() for p in model.parameters()), [tuple(p.shape) for p in model.gru.parameters()][:4])
opt = torch.optim.Adam(model.parameters(), lr=0.02)
for epoch in range(12):
    model.train()
    total, correct, loss_sum = 0, 0, 0.0
    for tokens, lens, ys in loader:
        logits = model(tokens, lens)
        loss = F.cross_entropy(logits, ys)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_sum += loss.item() * len(ys)
        correct += (logits.argmax(1) == ys).sum().item()
        total += len(ys)
    if epoch % 3 == 2:
        print(f"epoch {epoch + 1:2d} loss {loss_sum / total:.4f} acc {correct / total:.3f}")

model.eval()
with torch.no_grad():
    tokens, lens, ys = collate(dataset.items)
    logits = model(tokens, lens)
    preds = logits.argmax(dim=1)
    probs = logits.softmax(dim=1)
print(preds, ys, f"accuracy {(preds == ys).float().mean().item():.4f}")
print(probs[:3])
confusion = torch.zeros(3, 3, dtype=torch.long)
for t, p in zip(ys.tolist(), preds.tolist()):
    confusion[t, p] += 1
print(confusion)
print(torch.bincount(ys * 3 + preds, minlength=9).reshape(3, 3))
per_class = confusion.diag().float() / confusion.sum(1).clamp(min=1)
print([f"{c:.3f}" for c in per_class.tolist()])
new = ["great fun film", "boring bad plot", "unknownword okay"]
with torch.no_grad():
    batch, lens, _ = collate([(encode(t), 0) for t in new])
    print(batch, model(batch, lens).argmax(1))
