"""An nn.Transformer encoder-decoder that learns to reverse digit sequences: token + learned
positional embeddings, teacher forcing with a shifted target and generate_square_subsequent_mask,
padding masks for source and target, and greedy autoregressive decoding, also through the
model's encoder/decoder pieces separately (encode once, decode step by step). Runs in float64
(set_default_dtype) so that the argmax decoding after training is not at the mercy of rounding.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
PAD, BOS, EOS = 0, 1, 2
VOCAB = 13  # 3 specials + digits 0-9
MAXLEN = 9


def make_pairs(n):
    srcs, tgts = [], []
    for _ in range(n):
        length = int(torch.randint(3, 7, (1,)).item())
        digits = torch.randint(3, VOCAB, (length,))
        srcs.append(torch.cat([digits, torch.tensor([EOS])]))
        tgts.append(torch.cat([torch.tensor([BOS]), digits.flip(0), torch.tensor([EOS])]))
    src = nn.utils.rnn.pad_sequence(srcs, batch_first=True, padding_value=PAD)
    tgt = nn.utils.rnn.pad_sequence(tgts, batch_first=True, padding_value=PAD)
    return src, tgt


class Seq2Seq(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.d = d
        self.embed = nn.Embedding(VOCAB, d, padding_idx=PAD)
        self.pos = nn.Embedding(MAXLEN, d)
        self.transformer = nn.Transformer(d_model=d, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                                          dim_feedforward=64, dropout=0.0, batch_first=True)
        self.out = nn.Linear(d, VOCAB)

    def emb(self, x):
        return self.embed(x) * self.d ** 0.5 + self.pos(torch.arange(x.size(1)))

    def forward(self, src, tgt_in):
        tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
        h = self.transformer(self.emb(src), self.emb(tgt_in), tgt_mask=tgt_mask,
                             src_key_padding_mask=src == PAD, tgt_key_padding_mask=tgt_in == PAD,
                             memory_key_padding_mask=src == PAD, tgt_is_causal=True)
        return self.out(h)

    @torch.no_grad()
    def greedy(self, src, max_len=MAXLEN):
        memory = self.transformer.encoder(self.emb(src), src_key_padding_mask=src == PAD)
        ys = torch.full((src.size(0), 1), BOS, dtype=torch.long)
        for _ in range(max_len - 1):
            mask = nn.Transformer.generate_square_subsequent_mask(ys.size(1))
            h = self.transformer.decoder(self.emb(ys), memory, tgt_mask=mask,
                                         memory_key_padding_mask=src == PAD)
            nxt = self.out(h[:, -1]).argmax(-1, keepdim=True)
            ys = torch.cat([ys, nxt], dim=1)
        return ys


print(nn.Transformer.generate_square_subsequent_mask(4))
src, tgt = make_pairs(3)
print(src)
print(tgt)
model = Seq2Seq()
print(type(model.transformer.encoder).__name__, len(model.transformer.decoder.layers))
print(model.transformer.decoder.layers[0].multihead_attn)
print(sum(p.numel() for p in model.parameters()), next(model.parameters()).dtype)

opt = torch.optim.Adam(model.parameters(), lr=2e-3, betas=(0.9, 0.98), eps=1e-9)
for step in range(150):
    src, tgt = make_pairs(32)
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
    logits = model(src, tgt_in)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt_out.reshape(-1), ignore_index=PAD)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 30 == 0 or step == 149:
        print(f"step {step:3d} loss {loss.item():.4f}")

model.eval()
src, tgt = make_pairs(5)
out = model.greedy(src)
for s, t, o in zip(src.tolist(), tgt.tolist(), out.tolist()):
    print(s, "->", o[: len([x for x in t if x != PAD])], "want", [x for x in t if x != PAD])
src, tgt = make_pairs(64)
out = model.greedy(src)[:, : tgt.size(1)]
valid = tgt != PAD
print("token accuracy:", f"{((out == tgt) & valid).sum().item() / valid.sum().item():.2f}")
