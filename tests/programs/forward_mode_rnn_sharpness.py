"""Forward-mode AD through recurrent cells: dual numbers (torch.autograd.forward_ad) pushed
through a GRUCell/RNNCell unroll with softmax and layer_norm, torch.func.jvp and linearize on the
same model checked against jacrev, directional derivatives of a sequence loss, and a sharpness
estimate (the top Hessian eigenvalue) by power iteration of forward-over-reverse HVPs.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, jacrev, jvp, linearize, vjp

torch.manual_seed(0)


class SeqModel(nn.Module):
    def __init__(self, d_in=3, hidden=8, classes=4):
        super().__init__()
        self.gru = nn.GRUCell(d_in, hidden)
        self.rnn = nn.RNNCell(hidden, hidden, nonlinearity="tanh")
        self.norm = nn.LayerNorm(hidden)
        self.head = nn.Linear(hidden, classes)

    def forward(self, xs):
        h1 = xs.new_zeros(xs.shape[1], self.gru.hidden_size)
        h2 = torch.zeros_like(h1)
        for x in xs:
            h1 = self.gru(x, h1)
            h2 = self.rnn(h1, h2)
        return F.softmax(self.head(self.norm(h2)), dim=-1)


model = SeqModel()
xs = torch.randn(5, 2, 3)
target = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]])
params = {k: v.detach() for k, v in model.named_parameters()}
print("params", {k: tuple(v.shape) for k, v in params.items()})

# dual numbers through the input sequence
tangent = torch.randn_like(xs)
with fwAD.dual_level():
    out = model(fwAD.make_dual(xs, tangent))
    probs, dprobs = fwAD.unpack_dual(out)
print("probs", tuple(probs.shape), [round(v, 5) for v in probs[0].tolist()])
print("dprobs rows sum to zero", torch.allclose(dprobs.sum(-1), torch.zeros(2), atol=1e-6))
print("dprobs", [round(v, 5) for v in dprobs[1].tolist()])

# the same directional derivative from jvp and from the full Jacobian
_, jv = jvp(model, (xs,), (tangent,))
J = jacrev(model)(xs)
print("jacobian", tuple(J.shape), torch.allclose(jv, (J.flatten(2) @ tangent.flatten()), atol=1e-5))
print("jvp matches dual", torch.allclose(jv, dprobs, atol=1e-6))

# linearize once, evaluate many tangents
value, jvp_fn = linearize(lambda seq: functional_call(model, params, (seq,)), xs)
t2 = torch.randn_like(xs)
print("linearize", torch.allclose(value, probs), torch.allclose(jvp_fn(tangent), jv, atol=1e-6),
      f"{jvp_fn(t2).abs().sum().item():.5f}")

# forward-mode through a parameter: dual weights swapped into the module
direction = {k: torch.randn_like(v) for k, v in params.items()}
with fwAD.dual_level():
    duals = {k: fwAD.make_dual(v, direction[k]) for k, v in params.items()}
    out = functional_call(model, duals, (xs,))
    loss = -(target * out.log()).sum(-1).mean()
    loss_p, loss_t = fwAD.unpack_dual(loss)
print("loss", f"{loss_p.item():.6f}", "directional derivative", f"{loss_t.item():.6f}")


def loss_fn(p):
    return -(target * functional_call(model, p, (xs,)).log()).sum(-1).mean()


g = grad(loss_fn)(params)
print("grad . direction matches", abs(sum((g[k] * direction[k]).sum() for k in g).item() - loss_t.item()) < 1e-5)


def hvp(v):
    return jvp(grad(loss_fn), (params,), (v,))[1]


def hvp_rev(v):
    return vjp(grad(loss_fn), params)[1](v)[0]


def dot(a, b):
    return sum((a[k] * b[k]).sum() for k in a)


def normalize(v):
    n = torch.sqrt(dot(v, v))
    return {k: t / n for k, t in v.items()}


h1, h2 = hvp(direction), hvp_rev(direction)
print("hvp fwd == rev", all(torch.allclose(h1[k], h2[k], atol=1e-5) for k in h1))
v = normalize({k: torch.randn_like(t) for k, t in params.items()})
estimates = []
for it in range(15):
    hv = hvp(v)
    estimates.append(dot(v, hv).item())
    v = normalize(hv)
print("sharpness estimates", [round(e, 4) for e in estimates[::3]])
print("converged", abs(estimates[-1] - estimates[-2]) < 1e-3 * abs(estimates[-1]))
