"""Modern training recipe pieces on a small MLP: AdamW with two parameter groups (no weight decay on
biases and norm weights), cross-entropy with label_smoothing, mixup with a fixed lambda and index
permutation, an exponential moving average of the weights kept with torch.no_grad and lerp_/copy_,
warmup + cosine schedule by LambdaLR, and evaluating the EMA copy.

tolerance: rtol=2e-3 atol=1e-5
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

n, d, k = 256, 10, 4
centers = torch.randn(k, d) * 1.5
y = torch.randint(0, k, (n,))
x = centers[y] + torch.randn(n, d)
x_val, y_val = x[200:], y[200:]
x, y = x[:200], y[:200]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(d, 64)
        self.norm = nn.LayerNorm(64)
        self.fc2 = nn.Linear(64, 64, bias=False)  # BatchNorm follows: a bias would be redundant
        self.bn = nn.BatchNorm1d(64)
        self.out = nn.Linear(64, k)

    def forward(self, x):
        x = F.gelu(self.norm(self.fc1(x)))
        x = F.relu(self.bn(self.fc2(x)))
        return self.out(x)


model = Net()
decay, no_decay = [], []
for name, p in model.named_parameters():
    if not p.requires_grad:
        continue
    if p.ndim <= 1 or name.endswith(".bias"):
        no_decay.append(name)
    else:
        decay.append(name)
print("decay:", decay)
print("no decay:", no_decay)
params = dict(model.named_parameters())
opt = torch.optim.AdamW([
    {"params": [params[n_] for n_ in decay], "weight_decay": 0.05},
    {"params": [params[n_] for n_ in no_decay], "weight_decay": 0.0},
], lr=3e-3, betas=(0.9, 0.95))
print([(len(g["params"]), g["weight_decay"], g["lr"]) for g in opt.param_groups])

total_steps, warmup = 60, 6


def lr_lambda(step):
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total_steps - warmup)
    return 0.5 * (1 + math.cos(math.pi * progress))


sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)


class EMA:
    def __init__(self, model, decay=0.9):
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        for s, p in zip(self.shadow.parameters(), model.parameters()):
            s.lerp_(p, 1 - self.decay)
        for s, b in zip(self.shadow.buffers(), model.buffers()):
            s.copy_(b)


ema = EMA(model)
print(ema.shadow.fc1.weight.requires_grad, ema.shadow.training, torch.equal(ema.shadow.fc1.weight, model.fc1.weight))

# label smoothing sanity check against the formula
logits = torch.tensor([[2.0, 0.5, -1.0, 0.0]])
target = torch.tensor([0])
eps = 0.1
manual = -((1 - eps) * F.log_softmax(logits, 1)[0, 0] + eps / 4 * F.log_softmax(logits, 1).sum())
print(f"{F.cross_entropy(logits, target, label_smoothing=eps).item():.6f} {manual.item():.6f}")

criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
batch = 40
step = 0
for epoch in range(12):
    model.train()
    perm = torch.randperm(200)
    for i in range(0, 200, batch):
        xb, yb = x[perm[i:i + batch]], y[perm[i:i + batch]]
        lam = 0.7 if step % 2 == 0 else 1.0  # mixup on every other step, fixed lambda for reproducibility
        idx = torch.randperm(xb.size(0))
        mixed = lam * xb + (1 - lam) * xb[idx]
        out = model(mixed)
        loss = lam * criterion(out, yb) + (1 - lam) * criterion(out, yb[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        sched.step()
        ema.update(model)
        step += 1
    if epoch % 3 == 0:
        print(f"epoch {epoch:2d} loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.6f} "
              f"{[round(g['lr'], 6) for g in opt.param_groups]}")


@torch.no_grad()
def accuracy(net):
    net.eval()
    return (net(x_val).argmax(1) == y_val).float().mean().item()


print(f"model acc {accuracy(model):.4f} ema acc {accuracy(ema.shadow):.4f}")
gap = sum((a - b).abs().sum() for a, b in zip(model.parameters(), ema.shadow.parameters()))
print(f"param distance {gap.item():.4f}")
print(ema.shadow.bn.running_mean[:4], ema.shadow.bn.num_batches_tracked)
print(model.fc1.bias.grad is not None, opt.state[model.fc1.weight]["step"])
print(sorted(opt.state_dict()["param_groups"][1].keys()))
