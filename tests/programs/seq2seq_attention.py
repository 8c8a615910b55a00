"""A GRU encoder-decoder with additive attention, trained to reverse short digit sequences
(teacher forcing), then decoded greedily.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
SOS, EOS, V = 10, 11, 12
seqs = [[(3 * i + j) % 10 for j in range(4)] for i in range(24)]
src = torch.tensor(seqs)
tgt = torch.tensor([[SOS] + s[::-1] for s in seqs])
out_tgt = torch.tensor([s[::-1] + [EOS] for s in seqs])


class Encoder(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.embedding = nn.Embedding(V, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)

    def forward(self, x):
        return self.gru(self.embedding(x))


class BahdanauAttention(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.Wa = nn.Linear(hidden, hidden)
        self.Ua = nn.Linear(hidden, hidden)
        self.Va = nn.Linear(hidden, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys))).squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        return torch.bmm(weights, keys), weights


class Decoder(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.embedding = nn.Embedding(V, hidden)
        self.attention = BahdanauAttention(hidden)
        self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, V)

    def step(self, token, hidden, enc_out):
        embedded = self.embedding(token)
        context, weights = self.attention(hidden.permute(1, 0, 2), enc_out)
        output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return self.out(output), hidden, weights

    def forward(self, enc_out, hidden, targets):
        outputs = []
        for t in range(targets.size(1)):
            out, hidden, _ = self.step(targets[:, t:t + 1], hidden, enc_out)
            outputs.append(out)
        return F.log_softmax(torch.cat(outputs, dim=1), dim=-1)


enc, dec = Encoder(24), Decoder(24)
params = list(enc.parameters()) + list(dec.parameters())
opt = torch.optim.Adam(params, lr=0.01)
criterion = nn.NLLLoss()
for epoch in range(40):
    enc_out, hidden = enc(src)
    log_probs = dec(enc_out, hidden, tgt)
    loss = criterion(log_probs.view(-1, V), out_tgt.view(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 9:
        print(f"epoch {epoch + 1} loss {loss.item():.4f}")
with torch.no_grad():
    enc_out, hidden = enc(src[:3])
    token = torch.full((3, 1), SOS)
    decoded = []
    for _ in range(5):
        out, hidden, weights = dec.step(token, hidden, enc_out)
        token = out.argmax(-1)
        decoded.append(token)
    print(torch.cat(decoded, dim=1))
    print(weights.shape, weights.sum(-1))
