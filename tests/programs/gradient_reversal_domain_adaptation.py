"""Domain-adversarial training (DANN) with a gradient reversal layer written as a custom
torch.autograd.Function (forward is identity via view_as, backward negates and scales, returning
None for the non-tensor lambda), a shared feature extractor, a label head with CrossEntropyLoss,
a domain head with BCEWithLogitsLoss, and the DANN lambda schedule 2/(1+exp(-10p))-1.

tolerance: rtol=1e-4 atol=1e-6
"""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.neg() * ctx.lambd, None


def grad_reverse(x, lambd=1.0):
    return GradReverse.apply(x, lambd)


# the layer itself
x = torch.randn(3, 4, requires_grad=True)
y = grad_reverse(x, 0.5)
print(y.grad_fn is not None, torch.equal(x, y))
(y * torch.arange(4.0)).sum().backward()
print(x.grad)
# not a true gradient, so gradcheck rightly rejects it
t = torch.randn(2, 3, dtype=torch.double, requires_grad=True)
print("gradcheck", torch.autograd.gradcheck(lambda t: grad_reverse(t, 1.0), (t,), raise_exception=False))
print("gradcheck of identity", torch.autograd.gradcheck(lambda t: t.view_as(t), (t,)))


def make_domain(n, shift, rotate):
    labels = torch.randint(0, 2, (n,))
    centers = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])[labels]
    pts = centers + 0.4 * torch.randn(n, 2)
    c, s = math.cos(rotate), math.sin(rotate)
    rot = torch.tensor([[c, -s], [s, c]])
    return pts @ rot.T + shift, labels


xs, ys = make_domain(200, torch.tensor([0.0, 0.0]), 0.0)
xt, yt = make_domain(200, torch.tensor([0.5, 0.5]), 0.6)


class DANN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.classifier = nn.Linear(16, 2)
        self.domain = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x, lambd=1.0):
        f = self.features(x)
        return self.classifier(f), self.domain(grad_reverse(f, lambd)).squeeze(1)


model = DANN()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
cls_loss_fn = nn.CrossEntropyLoss()
dom_loss_fn = nn.BCEWithLogitsLoss()
epochs = 30
for epoch in range(epochs):
    p = epoch / epochs
    lambd = 2.0 / (1.0 + math.exp(-10 * p)) - 1.0
    cls_out, dom_src = model(xs, lambd)
    _, dom_tgt = model(xt, lambd)
    loss_cls = cls_loss_fn(cls_out, ys)
    dom_logits = torch.cat([dom_src, dom_tgt])
    dom_labels = torch.cat([torch.zeros(len(xs)), torch.ones(len(xt))])
    loss_dom = dom_loss_fn(dom_logits, dom_labels)
    loss = loss_cls + loss_dom
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 6 == 0:
        print(f"epoch {epoch:2d} lambda {lambd:.4f} cls {loss_cls.item():.4f} dom {loss_dom.item():.4f}")

# the reversal flips the sign of the domain loss's gradient on the features
model.zero_grad()
f = model.features(xs[:8])
f.retain_grad()
d_plain = model.domain(f).squeeze(1)
dom_loss_fn(d_plain, torch.zeros(8)).backward()
g_plain = f.grad.clone()
model.zero_grad()
f = model.features(xs[:8])
f.retain_grad()
rev = grad_reverse(f, 1.0)
rev.retain_grad()
dom_loss_fn(model.domain(rev).squeeze(1), torch.zeros(8)).backward()
print("reversed", torch.allclose(f.grad, -g_plain), torch.allclose(rev.grad, g_plain))

with torch.no_grad():
    src_acc = (model(xs)[0].argmax(1) == ys).float().mean().item()
    tgt_acc = (model(xt)[0].argmax(1) == yt).float().mean().item()
    dom_acc = ((torch.cat([model(xs)[1], model(xt)[1]]) > 0).float() == dom_labels).float().mean().item()
print(f"source acc {src_acc:.4f} target acc {tgt_acc:.4f} domain acc {dom_acc:.4f}")
