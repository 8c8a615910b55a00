"""Uncertainty estimates two ways: Monte Carlo dropout (the model in eval mode except its Dropout
modules, switched back to train() by walking model.modules(), T stochastic passes stacked with
torch.stack) and a deep ensemble of independently seeded MLPs; predictive mean, variance, entropy,
mutual information (BALD), expected calibration error with torch.bucketize, and checks that eval
mode is deterministic while MC mode is not.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def make_moons(n, noise=0.1):
    t = torch.rand(n) * torch.pi
    upper = torch.stack([torch.cos(t), torch.sin(t)], 1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    labels = torch.randint(0, 2, (n,))
    x = torch.where(labels[:, None] == 0, upper, lower) + noise * torch.randn(n, 2)
    return x, labels


x_train, y_train = make_moons(200)
x_test, y_test = make_moons(100)
x_far = torch.tensor([[4.0, 4.0], [-3.0, -2.0]])


def mlp(p=0.2):
    return nn.Sequential(
        nn.Linear(2, 64), nn.ReLU(), nn.Dropout(p),
        nn.Linear(64, 64), nn.ReLU(), nn.Dropout(p),
        nn.Linear(64, 2),
    )


def train(model, epochs=40, lr=1e-2):
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    model.train()
    for _ in range(epochs):
        loss = F.cross_entropy(model(x_train), y_train)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def enable_mc_dropout(model):
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()


def entropy(p, dim=-1):
    return -(p * torch.log(p.clamp_min(1e-12))).sum(dim)


def summarize(probs):
    # probs: (T, N, C)
    mean = probs.mean(0)
    pred_entropy = entropy(mean)
    expected_entropy = entropy(probs).mean(0)
    return mean, probs.var(0, unbiased=False), pred_entropy, pred_entropy - expected_entropy


def ece(probs, labels, n_bins=5):
    conf, pred = probs.max(1)
    edges = torch.linspace(0, 1, n_bins + 1)
    bins = torch.bucketize(conf, edges[1:-1], right=False)
    total = torch.zeros(())
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            acc = (pred[mask] == labels[mask]).float().mean()
            total = total + mask.float().mean() * (conf[mask].mean() - acc).abs()
    return total


model = mlp()
print(f"train loss {train(model):.4f}")

model.eval()
with torch.no_grad():
    a, b = model(x_test), model(x_test)
print("eval deterministic", torch.equal(a, b))
print("dropout modes", [m.training for m in model.modules() if isinstance(m, nn.Dropout)], model.training)

enable_mc_dropout(model)
print("after enable", model.training, [m.training for m in model.modules() if isinstance(m, nn.Dropout)])
torch.manual_seed(123)
with torch.no_grad():
    mc = torch.stack([F.softmax(model(torch.cat([x_test, x_far])), -1) for _ in range(30)])
print("mc shape", mc.shape)
print("mc passes differ", not torch.equal(mc[0], mc[1]))
mean, var, h, mi = summarize(mc)
acc = (mean[:100].argmax(1) == y_test).float().mean()
print(f"mc acc {acc.item():.4f} ece {ece(mean[:100], y_test).item():.4f}")
print(f"mc entropy in-dist {h[:100].mean().item():.4f} far {h[100:]}")
print(f"mc mutual info in-dist {mi[:100].mean().item():.5f} far {mi[100:]}")
print("mc var first", var[:3])

# deep ensemble
members = []
for seed in range(4):
    torch.manual_seed(seed)
    m = mlp(p=0.0)
    loss = train(m, epochs=30)
    members.append(m.eval())
    print(f"member {seed} loss {loss:.4f}")
with torch.no_grad():
    ens = torch.stack([F.softmax(m(torch.cat([x_test, x_far])), -1) for m in members])
mean, var, h, mi = summarize(ens)
acc = (mean[:100].argmax(1) == y_test).float().mean()
print(f"ensemble acc {acc.item():.4f} ece {ece(mean[:100], y_test).item():.4f}")
print(f"ensemble entropy in-dist {h[:100].mean().item():.4f} far {h[100:]}")
print(f"ensemble disagreement {mi[:100].mean().item():.5f} far {mi[100:]}")
logits_stack = torch.stack([m(x_test[:3]) for m in members]).detach()
print("logit std across members", logits_stack.std(0))
print("bucketize", torch.bucketize(torch.tensor([0.1, 0.5, 0.55, 0.99]), torch.tensor([0.2, 0.5, 0.8])))
print("bucketize right", torch.bucketize(torch.tensor([0.1, 0.5, 0.55, 0.99]), torch.tensor([0.2, 0.5, 0.8]), right=True))
