"""CLIP-style two-tower contrastive training on paired synthetic "images" and "captions": an MLP
image tower and an embedding-bag text tower, projections normalised with F.normalize, a learnable
logit_scale parameter initialised to log(1/0.07), used through .exp() and clamped in place after
each step, the symmetric cross-entropy over the similarity matrix, and image-to-text / text-to-image
retrieval accuracy (top-1 and top-3) on a held-out batch.

tolerance: rtol=1e-3 atol=1e-5
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

n_concepts, img_dim, vocab, caption_len, embed_dim = 16, 24, 40, 5, 16
concept_images = torch.randn(n_concepts, img_dim)
concept_words = torch.randint(0, vocab, (n_concepts, caption_len))


def make_batch(n):
    idx = torch.randperm(n_concepts)[:n]
    images = concept_images[idx] + 0.3 * torch.randn(n, img_dim)
    captions = concept_words[idx].clone()
    # replace one word per caption with noise
    pos = torch.randint(0, caption_len, (n,))
    captions[torch.arange(n), pos] = torch.randint(0, vocab, (n,))
    return images, captions


class ImageEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(img_dim, 32), nn.GELU(), nn.Linear(32, 32))
        self.proj = nn.Linear(32, embed_dim, bias=False)

    def forward(self, x):
        return self.proj(self.net(x))


class TextEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(vocab, 32)
        self.ln = nn.LayerNorm(32)
        self.proj = nn.Linear(32, embed_dim, bias=False)

    def forward(self, tokens):
        h = self.tok(tokens).mean(dim=1)
        return self.proj(self.ln(h))


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = ImageEncoder()
        self.text = TextEncoder()
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))

    def forward(self, images, captions):
        img = F.normalize(self.visual(images), dim=-1)
        txt = F.normalize(self.text(captions), dim=-1)
        scale = self.logit_scale.exp()
        logits_per_image = scale * img @ txt.t()
        return logits_per_image, logits_per_image.t()


def clip_loss(logits_per_image, logits_per_text):
    labels = torch.arange(logits_per_image.shape[0])
    return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, labels)) / 2


model = CLIP()
print("logit_scale init", round(model.logit_scale.item(), 5), "scale", round(model.logit_scale.exp().item(), 4))
print("params", sum(p.numel() for p in model.parameters() if p.requires_grad))
decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
print("decay tensors", len(decay), "no-decay tensors", len(no_decay))
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                         {"params": no_decay, "weight_decay": 0.0}], lr=3e-3)

images, captions = make_batch(8)
li, lt = model(images, captions)
print("logits", tuple(li.shape), torch.allclose(li, lt.t()))
print("initial loss", round(clip_loss(li, lt).item(), 5))

for step in range(30):
    images, captions = make_batch(12)
    logits_per_image, logits_per_text = model(images, captions)
    loss = clip_loss(logits_per_image, logits_per_text)
    opt.zero_grad()
    loss.backward()
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.4f} scale-grad {model.logit_scale.grad.item():.5f}")
    opt.step()
    with torch.no_grad():
        model.logit_scale.clamp_(0, math.log(100))

print("logit_scale now", round(model.logit_scale.item(), 4))

model.eval()
with torch.no_grad():
    images, captions = make_batch(10)
    logits_per_image, logits_per_text = model(images, captions)
    labels = torch.arange(10)
    i2t = (logits_per_image.argmax(dim=1) == labels).float().mean().item()
    t2i = (logits_per_text.argmax(dim=1) == labels).float().mean().item()
    top3 = logits_per_image.topk(3, dim=1).indices
    i2t_top3 = (top3 == labels[:, None]).any(dim=1).float().mean().item()
    print(f"eval loss {clip_loss(logits_per_image, logits_per_text).item():.4f}")
    print(f"retrieval i2t@1 {i2t:.2f} t2i@1 {t2i:.2f} i2t@3 {i2t_top3:.2f}")
    probs = logits_per_image.softmax(dim=-1)
    print("diag prob", probs.diagonal()[:5])
