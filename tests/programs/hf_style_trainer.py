"""A Hugging Face-style training loop written by hand: a config dataclass, AdamW with separate
parameter groups (no weight decay for biases and LayerNorm weights), a warmup + linear-decay
schedule through LambdaLR, gradient accumulation, clip_grad_norm_ returning the total norm,
torch.cuda.amp.GradScaler(enabled=False) and autocast(device_type='cpu', dtype=torch.bfloat16,
enabled=False) boilerplate, periodic evaluation, and a best-checkpoint kept in memory via
copy.deepcopy of the state_dict.

tolerance: rtol=2e-3 atol=1e-5
"""
import copy
import io
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader, TensorDataset


@dataclass
class TrainingArguments:
    learning_rate: float = 3e-3
    weight_decay: float = 0.01
    warmup_steps: int = 5
    num_train_epochs: int = 5
    per_device_train_batch_size: int = 16
    gradient_accumulation_steps: int = 2
    max_grad_norm: float = 1.0
    eval_steps: int = 10
    seed: int = 42


args = TrainingArguments()
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(args)


class TextClassifier(nn.Module):
    def __init__(self, vocab=50, d=32, n_classes=3):
        super().__init__()
        self.embeddings = nn.Embedding(vocab, d)
        self.layer_norm = nn.LayerNorm(d)
        self.dense = nn.Linear(d, d)
        self.classifier = nn.Linear(d, n_classes)

    def forward(self, input_ids, attention_mask, labels=None):
        h = self.embeddings(input_ids) * attention_mask.unsqueeze(-1)
        pooled = h.sum(1) / attention_mask.sum(1, keepdim=True)
        logits = self.classifier(torch.tanh(self.dense(self.layer_norm(pooled))))
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return {"loss": loss, "logits": logits}


def make_dataset(n):
    ids = torch.randint(1, 50, (n, 10))
    lengths = torch.randint(4, 11, (n,))
    mask = (torch.arange(10) < lengths[:, None]).float()
    ids = ids * mask.long()
    mean_id = ids.sum(1).float() / mask.sum(1)
    labels = (mean_id // 17).long().clamp(max=2)
    return TensorDataset(ids, mask, labels)


train_ds, eval_ds = make_dataset(256), make_dataset(64)
train_loader = DataLoader(train_ds, batch_size=args.per_device_train_batch_size, shuffle=True)
eval_loader = DataLoader(eval_ds, batch_size=32)
model = TextClassifier().to(device)

no_decay = ["bias", "layer_norm.weight"]
grouped = [
    {"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)],
     "weight_decay": args.weight_decay},
    {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)],
     "weight_decay": 0.0},
]
optimizer = torch.optim.AdamW(grouped, lr=args.learning_rate, betas=(0.9, 0.999), eps=1e-8)
steps_per_epoch = len(train_loader) // args.gradient_accumulation_steps
total_steps = steps_per_epoch * args.num_train_epochs


def lr_lambda(step):
    if step < args.warmup_steps:
        return float(step) / float(max(1, args.warmup_steps))
    return max(0.0, float(total_steps - step) / float(max(1, total_steps - args.warmup_steps)))


scheduler = LambdaLR(optimizer, lr_lambda)
scaler = torch.cuda.amp.GradScaler(enabled=False)
print(len(train_loader), steps_per_epoch, total_steps, [len(g["params"]) for g in optimizer.param_groups])
print([g["lr"] for g in optimizer.param_groups], optimizer.param_groups[0]["initial_lr"])


@torch.no_grad()
def evaluate():
    model.eval()
    correct, total_loss = 0, 0.0
    for ids, mask, labels in eval_loader:
        out = model(ids.to(device), mask.to(device), labels.to(device))
        total_loss += out["loss"].item() * len(labels)
        correct += (out["logits"].argmax(-1) == labels).sum().item()
    model.train()
    return {"eval_loss": total_loss / len(eval_ds), "eval_accuracy": correct / len(eval_ds)}


global_step, best, best_state, lrs = 0, None, None, []
model.train()
optimizer.zero_grad()
running = 0.0
for epoch in range(args.num_train_epochs):
    for step, (ids, mask, labels) in enumerate(train_loader):
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=False):
            out = model(ids.to(device), mask.to(device), labels.to(device))
            loss = out["loss"] / args.gradient_accumulation_steps
        scaler.scale(loss).backward()
        running += loss.item()
        if (step + 1) % args.gradient_accumulation_steps == 0:
            scaler.unscale_(optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            global_step += 1
            lrs.append(scheduler.get_last_lr()[0])
            if global_step % args.eval_steps == 0:
                metrics = evaluate()
                print(f"step {global_step:3d} epoch {epoch} train_loss {running / args.eval_steps:.4f} "
                      f"grad_norm {grad_norm.item():.4f} lr {lrs[-1]:.6f} "
                      f"eval_loss {metrics['eval_loss']:.4f} eval_acc {metrics['eval_accuracy']:.3f}")
                running = 0.0
                if best is None or metrics["eval_loss"] < best:
                    best = metrics["eval_loss"]
                    best_state = copy.deepcopy(model.state_dict())

print("lr schedule:", [round(x, 6) for x in lrs[:7]], "...", [round(x, 6) for x in lrs[-3:]])
print(type(grad_norm).__name__, grad_norm.dtype, scaler.is_enabled(), scaler.get_scale())
model.load_state_dict(best_state)
final = evaluate()
print(f"best eval_loss {best:.4f} reloaded {final['eval_loss']:.4f}")
buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "step": global_step}, buffer)
buffer.seek(0)
ckpt = torch.load(buffer, weights_only=True)
print(sorted(ckpt), ckpt["step"], ckpt["scheduler"]["last_epoch"], len(ckpt["optimizer"]["state"]))
print(list(ckpt["model"].keys()))
