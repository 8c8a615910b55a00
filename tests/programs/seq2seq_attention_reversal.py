"""Seq2seq with attention, as the translation tutorials write it: a packed bidirectional LSTM encoder
(enforce_sorted=False), an additive-attention GRU decoder fed one token at a time, teacher forcing
drawn with Python's random, clip_grad_norm_, then greedy decoding under inference_mode. The task:
reverse a sequence of tokens.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence, pack_padded_sequence, pad_packed_sequence
import math
import random
torch.manual_seed(1)
random.seed(1)
SOS, EOS, PAD = 0, 1, 2
V = 12
def make_pair():
    n = random.randint(3, 8)
    src = [random.randint(3, V - 1) for _ in range(n)]
    return torch.tensor(src + [EOS]), torch.tensor([SOS] + src[::-1] + [EOS])
pairs = [make_pair() for _ in range(256)]

class Encoder(nn.Module):
    def __init__(self, V, E, H):
        super().__init__()
        self.emb = nn.Embedding(V, E, padding_idx=PAD)
        self.rnn = nn.LSTM(E, H, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * H, H)
    def forward(self, src, lengths):
        e = self.emb(src)
        packed = pack_padded_sequence(e, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, (h, c) = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True)
        h = torch.tanh(self.fc(torch.cat((h[-2], h[-1]), dim=1)))
        return out, h

class Attn(nn.Module):
    def __init__(self, H):
        super().__init__()
        self.W = nn.Linear(3 * H, H)
        self.v = nn.Linear(H, 1, bias=False)
    def forward(self, hidden, enc, mask):
        L = enc.shape[1]
        h = hidden.unsqueeze(1).repeat(1, L, 1)
        energy = torch.tanh(self.W(torch.cat((h, enc), dim=2)))
        a = self.v(energy).squeeze(2).masked_fill(mask == 0, -1e10)
        return F.softmax(a, dim=1)

class Decoder(nn.Module):
    def __init__(self, V, E, H):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.attn = Attn(H)
        self.rnn = nn.GRU(2 * H + E, H, batch_first=True)
        self.out = nn.Linear(3 * H + E, V)
    def forward(self, tok, hidden, enc, mask):
        e = self.emb(tok.unsqueeze(1))
        a = self.attn(hidden, enc, mask).unsqueeze(1)
        ctx = torch.bmm(a, enc)
        o, h = self.rnn(torch.cat((e, ctx), dim=2), hidden.unsqueeze(0))
        pred = self.out(torch.cat((o.squeeze(1), ctx.squeeze(1), e.squeeze(1)), dim=1))
        return pred, h.squeeze(0)

enc, dec = Encoder(V, 16, 32), Decoder(V, 16, 32)
params = list(enc.parameters()) + list(dec.parameters())
opt = torch.optim.Adam(params, lr=3e-3)
crit = nn.CrossEntropyLoss(ignore_index=PAD)
for epoch in range(3):
    random.shuffle(pairs)
    total = 0.0
    for i in range(0, len(pairs), 32):
        batch = pairs[i:i+32]
        src = pad_sequence([s for s, _ in batch], batch_first=True, padding_value=PAD)
        trg = pad_sequence([t for _, t in batch], batch_first=True, padding_value=PAD)
        lengths = torch.tensor([len(s) for s, _ in batch])
        mask = (src != PAD)
        enc_out, hidden = enc(src, lengths)
        mask = mask[:, :enc_out.shape[1]]
        tok = trg[:, 0]
        loss = 0
        for t in range(1, trg.shape[1]):
            pred, hidden = dec(tok, hidden, enc_out, mask)
            loss = loss + crit(pred, trg[:, t])
            tok = trg[:, t] if random.random() < 0.5 else pred.argmax(1)
        loss = loss / (trg.shape[1] - 1)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        total += loss.item()
    print(f"epoch {epoch} loss {total / 8:.4f} ppl {math.exp(total / 8):.2f}")
with torch.inference_mode():
    src, trg = pairs[0]
    enc_out, hidden = enc(src.unsqueeze(0), torch.tensor([len(src)]))
    tok = torch.tensor([SOS])
    out = []
    for _ in range(12):
        pred, hidden = dec(tok, hidden, enc_out, torch.ones(1, enc_out.shape[1]))
        tok = pred.argmax(1)
        if tok.item() == EOS:
            break
        out.append(tok.item())
    print("src", src.tolist(), "decoded", out)
