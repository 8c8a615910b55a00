"""LoRA fine-tuning: a "pretrained" MLP + self-attention model is frozen with requires_grad_(False),
LoRA adapters (nn.Parameter A and B, scaling alpha/r) wrap its Linear layers by replacing modules
with setattr, only the adapters train, trainable parameters are counted, the adapter weights are
pulled out of the state_dict by name filtering, and the adapters are merged back into the base
weights with the merged model checked against the adapted one.

tolerance: rtol=1e-4 atol=1e-5
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.o_proj = nn.Linear(dim, dim)
        self.ln1 = nn.LayerNorm(dim)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        b, t, d = x.shape
        h = self.ln1(x)
        q = self.q_proj(h).view(b, t, self.heads, -1).transpose(1, 2)
        k = self.k_proj(h).view(b, t, self.heads, -1).transpose(1, 2)
        v = self.v_proj(h).view(b, t, self.heads, -1).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
        att = att.softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.o_proj(y)
        return x + self.mlp(self.ln2(x))


class Model(nn.Module):
    def __init__(self, vocab=20, dim=16, heads=2, classes=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.block = Block(dim, heads)
        self.head = nn.Linear(dim, classes)

    def forward(self, idx):
        return self.head(self.block(self.emb(idx)).mean(1))


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r=4, alpha=8, dropout=0.0):
        super().__init__()
        self.base = base
        self.r = r
        self.scaling = alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.merged = False

    def forward(self, x):
        out = self.base(x)
        if not self.merged:
            out = out + (self.dropout(x) @ self.lora_A.t() @ self.lora_B.t()) * self.scaling
        return out

    @torch.no_grad()
    def merge(self):
        self.base.weight += (self.lora_B @ self.lora_A) * self.scaling
        self.merged = True

    def extra_repr(self):
        return f"r={self.r}, scaling={self.scaling}"


def inject_lora(module, targets, r=4, alpha=8):
    for name, child in module.named_children():
        if isinstance(child, nn.Linear) and name in targets:
            setattr(module, name, LoRALinear(child, r=r, alpha=alpha))
        else:
            inject_lora(child, targets, r, alpha)


def count(model):
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


# "pretrain" on task A
x = torch.randint(0, 20, (32, 6))
y_a = (x.sum(1) % 3)
model = Model()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(15):
    loss = F.cross_entropy(model(x), y_a)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"pretrain loss {loss.item():.4f}")
pretrained = {k: v.clone() for k, v in model.state_dict().items()}

# freeze and add adapters on the attention projections
model.requires_grad_(False)
inject_lora(model, targets={"q_proj", "v_proj"}, r=4, alpha=8)
print(model.block.q_proj)
print(type(model.block.k_proj).__name__)
trainable, total = count(model)
print(f"trainable {trainable} / {total} = {100 * trainable / total:.2f}%")
print([n for n, p in model.named_parameters() if p.requires_grad])

# B is zero, so the adapted model starts exactly at the pretrained one
with torch.no_grad():
    before = model(x)
model_check = Model()
model_check.load_state_dict(pretrained)
with torch.no_grad():
    print("same at init", torch.allclose(before, model_check(x), atol=1e-6))

# fine-tune on task B, only adapters
y_b = (x[:, 0] + x[:, -1]) % 3
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-2, weight_decay=0.0)
for step in range(20):
    logits = model(x)
    loss = F.cross_entropy(logits, y_b)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 0:
        print(f"step {step:2d} loss {loss.item():.4f} |dB| {model.block.q_proj.lora_B.grad.norm().item():.5f}")
print("frozen grad", model.block.q_proj.base.weight.grad, model.head.weight.grad)
print("base unchanged", torch.equal(model.block.q_proj.base.weight, pretrained["block.q_proj.weight"]))

# save only the adapters
lora_state = {k: v for k, v in model.state_dict().items() if "lora_" in k}
print(sorted(lora_state))
print({k: tuple(v.shape) for k, v in lora_state.items()})

# merge and compare
model.eval()
with torch.no_grad():
    adapted = model(x)
    for m in model.modules():
        if isinstance(m, LoRALinear):
            m.merge()
    merged = model(x)
print("merged matches", torch.allclose(adapted, merged, atol=1e-5))
print("max diff small", (adapted - merged).abs().max().item() < 1e-4)
print("acc", (merged.argmax(1) == y_b).float().mean().item())
delta = model.block.v_proj.base.weight - pretrained["block.v_proj.weight"]
print("delta rank", torch.linalg.matrix_rank(delta).item())
print(f"delta norm {delta.norm().item():.5f}")
