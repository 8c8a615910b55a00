"""BERT-style masked-language-model pretraining on a toy vocabulary of arithmetic-progression
sentences: the 80/10/10 masking recipe with torch.bernoulli and masked_fill, labels set to -100
where nothing is predicted (cross_entropy's ignore_index), token-type and position embeddings,
an MLM head whose decoder weight is tied to the token embedding, and masked-token accuracy.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

PAD, CLS, SEP, MASK = 0, 1, 2, 3
N_SPECIAL = 4
VOCAB = N_SPECIAL + 20
SEQ = 12


def make_batch(n):
    """Two 'sentences' each counting up by a random step; tokens are numbers mod 20."""
    start = torch.randint(0, 20, (n, 1))
    step = torch.randint(1, 3, (n, 1))
    a = (start + step * torch.arange(5)) % 20 + N_SPECIAL
    b = (start + step * torch.arange(5, 10)) % 20 + N_SPECIAL
    ids = torch.cat([torch.full((n, 1), CLS), a, torch.full((n, 1), SEP), b], dim=1)
    types = torch.cat([torch.zeros(n, 7, dtype=torch.long), torch.ones(n, 5, dtype=torch.long)], dim=1)
    return ids, types


def mask_tokens(ids, mlm_prob=0.25):
    labels = ids.clone()
    special = ids < N_SPECIAL
    prob = torch.full(ids.shape, mlm_prob).masked_fill(special, 0.0)
    chosen = torch.bernoulli(prob).bool()
    labels[~chosen] = -100
    inputs = ids.clone()
    replace = torch.bernoulli(torch.full(ids.shape, 0.8)).bool() & chosen
    inputs[replace] = MASK
    randomize = torch.bernoulli(torch.full(ids.shape, 0.5)).bool() & chosen & ~replace
    random_words = torch.randint(N_SPECIAL, VOCAB, ids.shape, dtype=torch.long)
    inputs[randomize] = random_words[randomize]
    return inputs, labels


class MiniBert(nn.Module):
    def __init__(self, d=48, heads=4, layers=2):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, d, padding_idx=PAD)
        self.pos = nn.Embedding(SEQ, d)
        self.typ = nn.Embedding(2, d)
        self.emb_norm = nn.LayerNorm(d, eps=1e-12)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.transform = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.LayerNorm(d, eps=1e-12))
        self.decoder = nn.Linear(d, VOCAB)
        self.decoder.weight = self.tok.weight  # weight tying

    def forward(self, ids, types):
        positions = torch.arange(ids.size(1)).unsqueeze(0)
        h = self.emb_norm(self.tok(ids) + self.pos(positions) + self.typ(types))
        h = self.encoder(h, src_key_padding_mask=ids == PAD)
        return self.decoder(self.transform(h))


ids, types = make_batch(4)
print(ids)
inputs, labels = mask_tokens(ids)
print(inputs)
print(labels)
print("masked positions:", (labels != -100).sum().item())

model = MiniBert()
print(model.decoder.weight is model.tok.weight, model.decoder.weight.data_ptr() == model.tok.weight.data_ptr())
print("unique parameters:", sum(p.numel() for p in model.parameters()))
print(sorted(model.state_dict().keys())[:5])

decay, no_decay = [], []
for name, p in model.named_parameters():
    (no_decay if p.ndim < 2 or "norm" in name else decay).append(p)
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=2e-3)
print([len(g["params"]) for g in opt.param_groups], [g["weight_decay"] for g in opt.param_groups])

for step in range(80):
    ids, types = make_batch(32)
    inputs, labels = mask_tokens(ids)
    logits = model(inputs, types)
    loss = F.cross_entropy(logits.view(-1, VOCAB), labels.view(-1), ignore_index=-100)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 20 == 0 or step == 79:
        with torch.no_grad():
            sel = labels != -100
            acc = (logits.argmax(-1)[sel] == labels[sel]).float().mean().item()
        print(f"step {step:3d} mlm loss {loss.item():.3f} masked acc {acc:.2f}")

model.eval()
with torch.no_grad():
    ids, types = make_batch(64)
    inputs = ids.clone()
    inputs[:, 3] = MASK
    inputs[:, 9] = MASK
    pred = model(inputs, types).argmax(-1)
    acc3 = (pred[:, 3] == ids[:, 3]).float().mean().item()
    acc9 = (pred[:, 9] == ids[:, 9]).float().mean().item()
print(f"fill-in accuracy position 3: {acc3:.2f}, position 9: {acc9:.2f}")
print(ids[0].tolist())
print(pred[0].tolist())
