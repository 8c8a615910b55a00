"""A tiny Vision Transformer on synthetic 16x16 "stripe" images: patch embedding two ways
(a strided Conv2d and F.unfold + Linear, checked equal with shared weights), a learnable cls token
and positional embedding as nn.Parameter, nn.TransformerEncoder with pre-norm GELU layers, and
classification from the cls token.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = torch.device("cpu")


def make_images(n):
    """Class 0: horizontal stripes, class 1: vertical stripes, class 2: checkerboard; plus noise."""
    labels = torch.randint(0, 3, (n,))
    r = torch.arange(16).view(16, 1).expand(16, 16)
    c = torch.arange(16).view(1, 16).expand(16, 16)
    patterns = torch.stack([(r // 2) % 2, (c // 2) % 2, ((r // 4) + (c // 4)) % 2]).float()
    imgs = patterns[labels].unsqueeze(1) + 0.3 * torch.randn(n, 1, 16, 16)
    return imgs, labels


class PatchEmbed(nn.Module):
    def __init__(self, patch=4, in_ch=1, dim=32):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        x = self.proj(x)  # B, dim, H/p, W/p
        return x.flatten(2).transpose(1, 2)  # B, N, dim


class ViT(nn.Module):
    def __init__(self, img=16, patch=4, dim=32, depth=2, heads=4, n_classes=3):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, 1, dim)
        n_patches = (img // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n_patches + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, x):
        tokens = self.patch_embed(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        h = torch.cat([cls, tokens], dim=1) + self.pos_embed
        h = self.encoder(h)
        return self.head(self.norm(h[:, 0]))


model = ViT().to(device)
print(model.patch_embed)
print(model.cls_token.shape, model.pos_embed.shape)
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
print("parameters:", n_params)
print([name for name, _ in model.named_parameters()][:6])

# patch embedding via unfold must agree with the strided convolution
x_check = torch.randn(2, 1, 16, 16)
patches = F.unfold(x_check, kernel_size=4, stride=4)  # B, C*p*p, N
print("unfold:", patches.shape)
w = model.patch_embed.proj.weight.view(32, -1)
b = model.patch_embed.proj.bias
via_unfold = patches.transpose(1, 2) @ w.t() + b
via_conv = model.patch_embed(x_check)
print("unfold == conv:", torch.allclose(via_unfold, via_conv, atol=1e-5), via_conv.shape)

X, y = make_images(96)
X_test, y_test = make_images(48)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
for epoch in range(12):
    model.train()
    perm = torch.randperm(96)
    total = 0.0
    for i in range(0, 96, 32):
        idx = perm[i:i + 32]
        logits = model(X[idx].to(device))
        loss = F.cross_entropy(logits, y[idx].to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    if epoch % 3 == 0 or epoch == 11:
        print(f"epoch {epoch:2d} train loss {total / 96:.4f}")

model.eval()
with torch.no_grad():
    logits = model(X_test)
    pred = logits.argmax(dim=1)
    acc = (pred == y_test).float().mean().item()
    probs = logits.softmax(-1)
print(f"test accuracy {acc:.3f}")
print(pred[:12])
print(y_test[:12])
print(probs[:3].round(decimals=3))
print(model.cls_token.grad is not None, model.pos_embed.grad.shape)
