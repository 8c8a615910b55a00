"""Text classification: a vocabulary built from sentences, nn.Embedding averaged over tokens with a
padding index, and a linear classifier.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn

sentences = [("i love this movie", 1), ("this film was great", 1), ("what a wonderful day", 1),
             ("i hate this movie", 0), ("this film was terrible", 0), ("what an awful day", 0)]
vocab = {"<pad>": 0}
for s, _ in sentences:
    for w in s.split():
        vocab.setdefault(w, len(vocab))
print(len(vocab))
maxlen = max(len(s.split()) for s, _ in sentences)
X = torch.tensor([[vocab[w] for w in s.split()] + [0] * (maxlen - len(s.split())) for s, _ in sentences])
y = torch.tensor([label for _, label in sentences])


class BoW(nn.Module):
    def __init__(self, n, d=8):
        super().__init__()
        self.emb = nn.Embedding(n, d, padding_idx=0)
        self.fc = nn.Linear(d, 2)

    def forward(self, x):
        mask = (x != 0).unsqueeze(-1).float()
        return self.fc((self.emb(x) * mask).sum(1) / mask.sum(1))


torch.manual_seed(0)
model = BoW(len(vocab))
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for epoch in range(30):
    loss = nn.functional.cross_entropy(model(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(epoch, f"{loss.item():.4f}")
print(model.emb.weight[0], model(X).argmax(1))
