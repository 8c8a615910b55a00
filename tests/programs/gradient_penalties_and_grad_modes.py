# Gradient penalties with autograd.grad(create_graph=True) and grad-mode context combos.
import torch
import torch.nn as nn

torch.manual_seed(0)
D = nn.Sequential(nn.Linear(2, 16), nn.Softplus(), nn.Linear(16, 1))
G = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2))
optD = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))
optG = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))

def gradient_penalty(D, real, fake):
    alpha = torch.rand(real.size(0), 1).expand_as(real)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = D(interp)
    grads = torch.autograd.grad(outputs=out, inputs=interp, grad_outputs=torch.ones_like(out),
                                create_graph=True, retain_graph=True, only_inputs=True)[0]
    grads = grads.view(grads.size(0), -1)
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()

def r1_penalty(D, real):
    real = real.detach().requires_grad_()
    out = D(real)
    g, = torch.autograd.grad(out.sum(), real, create_graph=True)
    return g.pow(2).sum(1).mean()

for it in range(5):
    real = torch.randn(16, 2) * 0.5 + torch.tensor([2.0, -1.0])
    z = torch.randn(16, 3)
    fake = G(z)
    d_loss = D(fake.detach()).mean() - D(real).mean()
    gp = gradient_penalty(D, real, fake.detach())
    r1 = r1_penalty(D, real)
    optD.zero_grad()
    (d_loss + 10 * gp + 0.1 * r1).backward()
    optD.step()
    g_loss = -D(G(z)).mean()
    optG.zero_grad()
    g_loss.backward()
    optG.step()
    print(f"it {it} d {d_loss.item():.5f} gp {gp.item():.5f} r1 {r1.item():.5f} g {g_loss.item():.5f}")
print(D[0].weight.grad.norm())

# double backward on a scalar function
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x ** 3).sum()
g1, = torch.autograd.grad(y, x, create_graph=True)
print(g1, g1.requires_grad, g1.grad_fn is not None)
g2, = torch.autograd.grad(g1.sum(), x, retain_graph=True)
print(g2)
h = torch.autograd.grad(g1, x, grad_outputs=torch.eye(3)[0], retain_graph=True)
print(h)
print(torch.autograd.grad((x * 2).sum(), [x, torch.zeros(1, requires_grad=True)], allow_unused=True))
print(torch.autograd.grad((x * 2).sum(), [x, torch.zeros(1, requires_grad=True)], allow_unused=True,
                          materialize_grads=True))
try:
    torch.autograd.grad((x * 2).sum(), torch.zeros(1, requires_grad=True))
except RuntimeError as e:
    print("unused:", str(e)[:80])

# grad modes
w = torch.randn(3, requires_grad=True)
with torch.no_grad():
    a = w * 2
    with torch.enable_grad():
        b = w * 2
print(a.requires_grad, b.requires_grad, torch.is_grad_enabled())
with torch.set_grad_enabled(False):
    c = w + 1
print(c.requires_grad, c.grad_fn)
is_train = True
with torch.set_grad_enabled(is_train):
    d = w + 1
print(d.requires_grad, type(d.grad_fn).__name__)
torch.set_grad_enabled(False)
e = w * w
torch.set_grad_enabled(True)
print(e.requires_grad, torch.is_grad_enabled())
with torch.inference_mode():
    f = w * 3
    print(torch.is_inference_mode_enabled(), f.requires_grad, f.is_inference())
print(f.is_inference(), w.is_inference(), torch.is_inference_mode_enabled())
try:
    f.add_(1)
    print("inplace ok outside")
except RuntimeError as err:
    print("inference inplace:", str(err)[:70])
try:
    (f * w).sum().backward()
except RuntimeError as err:
    print("inference backward:", str(err)[:70])
with torch.inference_mode(mode=False):
    print(torch.is_inference_mode_enabled(), (w * 2).requires_grad)

@torch.no_grad()
def evaluate(m, x):
    return m(x)
out = evaluate(D, torch.randn(4, 2))
print(out.requires_grad, out.shape)

@torch.inference_mode()
def predict(m, x):
    return m(x).argmax(-1)
print(predict(nn.Linear(2, 3), torch.randn(4, 2)))

@torch.enable_grad()
def inner(x):
    return x * 2
with torch.no_grad():
    r = inner(w)
print(r.requires_grad)

# no_grad parameter update by hand
lin = nn.Linear(2, 1)
before = lin.weight.clone()
loss = lin(torch.ones(3, 2)).pow(2).mean()
loss.backward()
with torch.no_grad():
    for p in lin.parameters():
        p -= 0.1 * p.grad
        p.grad.zero_()
print(lin.weight.requires_grad, lin.weight.grad, (lin.weight - before).abs().sum() > 0)
print(lin.weight.is_leaf, before.is_leaf, before.grad_fn.name())
dt = lin.weight.detach()
dt.zero_()
print(lin.weight)
print(torch.autograd.grad(lin(torch.ones(1, 2)).sum(), lin.bias))
