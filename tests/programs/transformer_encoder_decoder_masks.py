"""nn.TransformerEncoder / nn.TransformerDecoder built by hand and nn.Transformer, with
batch_first both ways: generate_square_subsequent_mask, boolean and float masks, key padding
masks for source and target, memory_key_padding_mask, norm_first layers, a gelu activation, a
final LayerNorm, eval-mode equivalence of the two layouts, and a few Adam steps on a copy task.

tolerance: rtol=2e-3 atol=1e-4
"""
import torch
import torch.nn as nn

torch.manual_seed(0)
d_model, nhead, ff = 16, 4, 32

enc_layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=ff, dropout=0.0, batch_first=True)
encoder = nn.TransformerEncoder(enc_layer, num_layers=2, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
dec_layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=ff, dropout=0.0, batch_first=True,
                                       activation="gelu", norm_first=True)
decoder = nn.TransformerDecoder(dec_layer, num_layers=2, norm=nn.LayerNorm(d_model))
print(type(encoder.layers).__name__, len(encoder.layers), len(decoder.layers))
print(sum(p.numel() for p in encoder.parameters()), sum(p.numel() for p in decoder.parameters()))
print(sorted({name.split(".", 2)[-1] for name, _ in decoder.named_parameters() if name.startswith("layers.0")})[:6])

mask = nn.Transformer.generate_square_subsequent_mask(5)
print(mask)
print(mask.dtype, mask.shape, torch.isinf(mask).sum().item())

src = torch.randn(3, 6, d_model)
tgt = torch.randn(3, 5, d_model)
src_pad = torch.tensor([[False] * 6, [False] * 4 + [True] * 2, [False] * 3 + [True] * 3])
tgt_pad = torch.tensor([[False] * 5, [False] * 5, [False] * 2 + [True] * 3])

memory = encoder(src, src_key_padding_mask=src_pad)
print("memory", memory.shape, memory[0, 0, :4])
out = decoder(tgt, memory, tgt_mask=mask, tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)
print("decoded", out.shape, out[1, -1, :4])

# a bool causal mask gives the same result as the float one
bool_mask = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
out_b = decoder(tgt, memory, tgt_mask=bool_mask, tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)
print("bool vs float mask", torch.allclose(out, out_b, atol=1e-6))

# causality: changing the last target step does not change earlier outputs
tgt2 = tgt.clone()
tgt2[:, -1] += torch.linspace(-1.0, 1.0, d_model)  # (a constant shift would vanish in the pre-norm layers)
out2 = decoder(tgt2, memory, tgt_mask=mask)
out1 = decoder(tgt, memory, tgt_mask=mask)
print("causal", torch.allclose(out1[:, :-1], out2[:, :-1], atol=1e-6), torch.allclose(out1[:, -1], out2[:, -1]))

# padding: padded source positions do not influence the memory of real ones
src2 = src.clone()
src2[1, 4:] = 100.0
mem2 = encoder(src2, src_key_padding_mask=src_pad)
print("padding ignored", torch.allclose(memory[1, :4], mem2[1, :4], atol=1e-5))

# nn.Transformer with the default sequence-first layout against batch_first=True
torch.manual_seed(1)
seq_first = nn.Transformer(d_model, nhead, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=ff,
                           dropout=0.1)
batch_first = nn.Transformer(d_model, nhead, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=ff,
                             dropout=0.1, batch_first=True)
batch_first.load_state_dict(seq_first.state_dict())
seq_first.eval()
batch_first.eval()
y_sf = seq_first(src.transpose(0, 1), tgt.transpose(0, 1), tgt_mask=mask, src_key_padding_mask=src_pad)
y_bf = batch_first(src, tgt, tgt_mask=mask, src_key_padding_mask=src_pad)
print(y_sf.shape, y_bf.shape, torch.allclose(y_sf.transpose(0, 1), y_bf, atol=1e-5))
print(y_bf[0, 0, :4])

# a few training steps on a tiny copy task with embeddings and an output head
torch.manual_seed(2)
vocab = 7


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(1, 8, d_model) * 0.1)
        self.core = nn.Transformer(d_model, nhead, 1, 1, ff, dropout=0.0, batch_first=True)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, src_ids, tgt_ids):
        s = self.embed(src_ids) + self.pos[:, : src_ids.size(1)]
        t = self.embed(tgt_ids) + self.pos[:, : tgt_ids.size(1)]
        causal = self.core.generate_square_subsequent_mask(tgt_ids.size(1))
        return self.head(self.core(s, t, tgt_mask=causal, tgt_is_causal=True))


model = Seq2Seq()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
loss_fn = nn.CrossEntropyLoss()
data = torch.randint(1, vocab, (16, 6))
bos = torch.zeros(16, 1, dtype=torch.long)
for step in range(8):
    logits = model(data, torch.cat([bos, data[:, :-1]], 1))
    loss = loss_fn(logits.reshape(-1, vocab), data.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.4f}")
print(logits.shape, logits.argmax(-1)[0])
