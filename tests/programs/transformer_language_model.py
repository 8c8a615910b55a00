"""A word-level transformer language model in the style of the nn.Transformer tutorial:
positional encoding, nn.TransformerEncoder with a causal mask, then nn.Transformer for a copy task.

tolerance: rtol=2e-3 atol=1e-5
"""
import math

import torch
from torch import Tensor, nn


class PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, dropout: float = 0.0, max_len: int = 64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(x + self.pe[: x.size(0)])


class TransformerModel(nn.Module):
    def __init__(self, ntoken: int, d_model: int, nhead: int, d_hid: int, nlayers: int):
        super().__init__()
        self.pos_encoder = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout=0.0)
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers, enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)

    def forward(self, src: Tensor, src_mask: Tensor) -> Tensor:
        src = self.pos_encoder(self.embedding(src) * math.sqrt(self.d_model))
        return self.linear(self.transformer_encoder(src, src_mask))


torch.manual_seed(0)
words = "the cat sat on the mat and the dog sat on the log".split()
vocab = sorted(set(words))
ids = torch.tensor([vocab.index(w) for w in words * 3])
seq_len, ntokens = 8, len(vocab)
model = TransformerModel(ntokens, 16, 2, 32, 2)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
src_mask = nn.Transformer.generate_square_subsequent_mask(seq_len)
print(src_mask)
for epoch in range(3):
    total = 0.0
    for i in range(0, ids.size(0) - seq_len - 1, seq_len):
        data = ids[i:i + seq_len].unsqueeze(1)
        target = ids[i + 1:i + 1 + seq_len]
        output = model(data, src_mask)
        loss = criterion(output.view(-1, ntokens), target)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        total += loss.item()
    scheduler.step()
    print(f"| epoch {epoch + 1} | lr {scheduler.get_last_lr()[0]:.4f} | loss {total:.4f}")

seq2seq = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32,
                         dropout=0.0, batch_first=True)
src = torch.randn(2, 5, 16)
tgt = torch.randn(2, 4, 16)
out = seq2seq(src, tgt, tgt_mask=seq2seq.generate_square_subsequent_mask(4))
print(out.shape)
out.sum().backward()
print(sum(p.numel() for p in seq2seq.parameters()))
