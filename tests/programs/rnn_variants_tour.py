"""The recurrent layers beyond a single LSTM: nn.RNN with tanh and relu, multi-layer
bidirectional GRU and LSTM with batch_first both ways, proj_size, bias=False, explicit h0/c0,
unbatched input, parameter names and shapes, RNNCell/GRUCell/LSTMCell unrolled by hand against the
layer, packed sequences with enforce_sorted=False and pad_packed_sequence(total_length=...), and a
few Adam steps of a bidirectional GRU sequence classifier with gradient clipping.

tolerance: rtol=1e-3 atol=1e-4
"""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)
x = torch.randn(5, 3, 4)  # (T, N, F)

for nl in ("tanh", "relu"):
    rnn = nn.RNN(4, 6, num_layers=2, nonlinearity=nl)
    out, h = rnn(x)
    print(rnn, out.shape, h.shape, out[-1, 0, :3], torch.allclose(out[-1], h[-1]))
print([(n, tuple(p.shape)) for n, p in nn.RNN(4, 6, bias=False).named_parameters()])

gru = nn.GRU(4, 5, num_layers=2, bidirectional=True, batch_first=True)
print([(n, tuple(p.shape)) for n, p in gru.named_parameters()][:6], len(list(gru.parameters())))
xb = x.transpose(0, 1).contiguous()
h0 = torch.randn(4, 3, 5)
out, hn = gru(xb, h0)
print(out.shape, hn.shape, torch.allclose(out[:, -1, :5], hn[2]), torch.allclose(out[:, 0, 5:], hn[3]))
out_u, hn_u = gru(xb[0], h0[:, 0])
print("unbatched", out_u.shape, hn_u.shape, torch.allclose(out_u, out[0], atol=1e-6))

lstm = nn.LSTM(4, 8, num_layers=2, proj_size=3, bidirectional=True, dropout=0.0)
print([(n, tuple(p.shape)) for n, p in lstm.named_parameters() if n.endswith("l0") or n.endswith("l1_reverse")])
out, (hn, cn) = lstm(x)
print(out.shape, hn.shape, cn.shape, out[0, 0])
out2, _ = lstm(x, (torch.zeros(4, 3, 3), torch.zeros(4, 3, 8)))
print("zero state = default", torch.allclose(out, out2))

# cells unrolled by hand match the layers
torch.manual_seed(1)
cell, layer = nn.RNNCell(4, 6, nonlinearity="relu"), nn.RNN(4, 6, nonlinearity="relu")
gcell, glayer = nn.GRUCell(4, 6), nn.GRU(4, 6)
lcell, llayer = nn.LSTMCell(4, 6), nn.LSTM(4, 6)
for c, l in ((cell, layer), (gcell, glayer), (lcell, llayer)):
    with torch.no_grad():
        l.weight_ih_l0.copy_(c.weight_ih)
        l.weight_hh_l0.copy_(c.weight_hh)
        l.bias_ih_l0.copy_(c.bias_ih)
        l.bias_hh_l0.copy_(c.bias_hh)
h = torch.zeros(3, 6)
g = torch.zeros(3, 6)
hc = (torch.zeros(3, 6), torch.zeros(3, 6))
for t in range(5):
    h = cell(x[t], h)
    g = gcell(x[t], g)
    hc = lcell(x[t], hc)
print(torch.allclose(h, layer(x)[1][0], atol=1e-6), torch.allclose(g, glayer(x)[1][0], atol=1e-6),
      torch.allclose(hc[1], llayer(x)[1][1][0], atol=1e-6), cell, gcell, lcell)
print(gcell(x[0]).shape, lcell(x[0, 0])[0].shape)

# variable-length batches
seqs = [torch.randn(n, 4) for n in (2, 5, 3)]
padded = pad_sequence(seqs)
lengths = torch.tensor([2, 5, 3])
packed = pack_padded_sequence(padded, lengths, enforce_sorted=False)
print(packed.data.shape, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
pout, ph = glayer(packed)
unpacked, lens = pad_packed_sequence(pout, total_length=6)
print(unpacked.shape, lens, unpacked[3:, 0].abs().sum().item(), torch.allclose(ph[0, 0], unpacked[1, 0]))
single = glayer(seqs[0].unsqueeze(1))[1]
print("packed = one at a time", torch.allclose(ph[0, 0], single[0, 0], atol=1e-6))
ps = pack_sequence(seqs, enforce_sorted=False)
print(torch.equal(ps.data, packed.data), pad_packed_sequence(ps, batch_first=True, padding_value=-1.0)[0][0, :, 0])


# a bidirectional GRU classifier: does the sequence sum exceed zero?
class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(1, 8, batch_first=True, bidirectional=True)
        self.head = nn.Linear(16, 2)

    def forward(self, seq, lens):
        packed = pack_padded_sequence(seq, lens, batch_first=True, enforce_sorted=False)
        _, h = self.rnn(packed)
        return self.head(torch.cat([h[0], h[1]], dim=1))


torch.manual_seed(2)
lens = torch.randint(3, 9, (64,))
seq = torch.randn(64, 8, 1) * (torch.arange(8) < lens[:, None]).unsqueeze(-1)
labels = (seq.sum((1, 2)) > 0).long()
model = Classifier()
opt = torch.optim.Adam(model.parameters(), lr=0.02)
for epoch in range(8):
    logits = model(seq, lens)
    loss = nn.functional.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    acc = (logits.argmax(1) == labels).float().mean().item()
    print(f"epoch {epoch} loss {loss.item():.4f} acc {acc:.4f} grad_norm {norm.item():.4f}")
