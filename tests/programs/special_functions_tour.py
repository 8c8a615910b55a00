"""torch.special and its tensor-method twins as probabilistic code uses them: erf/erfc/erfinv/
erfcx, ndtr/ndtri/log_ndtr, expit/logit (eps), xlogy/xlog1py/entr, gammaln/digamma/polygamma/
multigammaln, i0/i0e/i1/i1e, sinc, log1p/expm1/exp2, logsumexp/softmax/log_softmax with dtype,
round(decimals), zeta, bessel_j0/j1, float64 accuracy, gradients via autograd against closed forms,
and a Student-t log-likelihood fit by gradient descent.

tolerance: rtol=1e-4 atol=1e-6
"""
import math

import torch
import torch.special as S

torch.set_printoptions(precision=6)
x = torch.tensor([-2.0, -0.5, 0.0, 0.3, 1.0, 3.0])
p = torch.tensor([1e-4, 0.05, 0.3, 0.5, 0.9, 0.9999])
print("erf", S.erf(x), "erfc", S.erfc(x))
print("erfinv", S.erfinv(torch.tensor([-0.9, 0.0, 0.5, 0.999])), "erfcx", S.erfcx(x))
print("ndtr", S.ndtr(x), "ndtri", S.ndtri(p))
print("log_ndtr", S.log_ndtr(torch.tensor([-20.0, -3.0, 0.0, 5.0])))
print("expit", S.expit(x), "logit", S.logit(p), S.logit(torch.tensor([0.0, 1.0]), eps=1e-6))
print("xlogy", S.xlogy(torch.tensor([0.0, 0.0, 2.0]), torch.tensor([0.0, float("nan"), 3.0])), S.xlogy(2.0, torch.tensor([1.0, 4.0])))
print("xlog1py", S.xlog1py(torch.tensor([0.0, 1.5]), torch.tensor([-1.0, 0.5])), "entr", S.entr(torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0])))
pos = torch.tensor([0.1, 0.5, 1.0, 2.5, 10.0])
print("gammaln", S.gammaln(pos), torch.lgamma(torch.tensor([-0.5, -1.5])))
print("digamma", S.digamma(pos), "psi", S.psi(torch.tensor([1.0])))
print("polygamma", S.polygamma(1, pos), S.polygamma(2, pos), torch.polygamma(3, torch.tensor([1.0])))
print("multigammaln", S.multigammaln(torch.tensor([2.0, 3.5]), 3), torch.mvlgamma(torch.tensor([4.0]), p=2))
print("i0", S.i0(x), "i0e", S.i0e(x))
print("i1", S.i1(x), "i1e", S.i1e(x))
print("sinc", S.sinc(torch.tensor([0.0, 0.5, 1.0, -1.5, 1e-8])))
small = torch.tensor([1e-10, 1e-5, 0.1, 1.0])
print("log1p", S.log1p(small), "expm1", S.expm1(small), "exp2", S.exp2(torch.tensor([-1.0, 0.0, 10.0])))
logits = torch.tensor([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]])
print("logsumexp", S.logsumexp(logits, 1), S.logsumexp(logits, 1, keepdim=True).shape, torch.logsumexp(torch.tensor([-float("inf")] * 2), 0))
print("softmax", S.softmax(logits, 1), S.log_softmax(logits, 1, dtype=torch.float64))
print("round", S.round(torch.tensor([1.2345, -2.5, 0.5, 1.5])), torch.round(torch.tensor([1.2345, 12.55]), decimals=2), torch.round(torch.tensor([1234.5]), decimals=-2))
print("zeta", S.zeta(torch.tensor([2.0, 4.0, 3.0]), torch.tensor([1.0, 1.0, 2.0])), math.pi ** 2 / 6)
print("bessel", S.bessel_j0(torch.tensor([0.0, 1.0, 5.0])), S.bessel_j1(torch.tensor([0.0, 1.0, 5.0])))
d = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
print(S.erf(d), S.gammaln(d), S.digamma(d).dtype, S.ndtri(torch.tensor([0.975], dtype=torch.float64)))

# gradients against closed forms
z = torch.tensor([-1.0, 0.2, 1.5], requires_grad=True)
(S.erf(z).sum() + S.ndtr(z).sum() + S.expit(z).sum()).backward()
closed = 2 / math.sqrt(math.pi) * torch.exp(-z.detach() ** 2) + torch.exp(-z.detach() ** 2 / 2) / math.sqrt(2 * math.pi) + torch.sigmoid(z.detach()) * (1 - torch.sigmoid(z.detach()))
print("grad erf+ndtr+expit", z.grad, torch.allclose(z.grad, closed))
g = torch.tensor([0.5, 2.0, 4.0], requires_grad=True)
(S.gammaln(g).sum() + S.digamma(g).sum()).backward()
print("grad gammaln+digamma", g.grad, torch.allclose(g.grad, S.digamma(g.detach()) + S.polygamma(1, g.detach())))
u = torch.tensor([0.2, 0.7], requires_grad=True)
(S.logit(u).sum() + S.erfinv(u).sum() + S.xlogy(u, u + 1).sum()).backward()
print("grad logit+erfinv+xlogy", u.grad)
w = torch.tensor([0.5, 3.0], requires_grad=True)
(S.i0(w).sum() + S.log_ndtr(-w).sum() + S.entr(w / 4).sum() + S.sinc(w).sum()).backward()
print("grad i0+log_ndtr+entr+sinc", w.grad)

# fit a Student-t location/scale with lgamma in the likelihood
torch.manual_seed(0)
data = torch.randn(200) * 2.0 + 1.0
data[:5] = torch.tensor([15.0, -12.0, 20.0, 18.0, -9.0])
loc = torch.zeros((), requires_grad=True)
log_scale = torch.zeros((), requires_grad=True)
nu = 4.0
opt = torch.optim.Adam([loc, log_scale], lr=0.1)
for step in range(60):
    scale = log_scale.exp()
    t = (data - loc) / scale
    ll = (S.gammaln(torch.tensor((nu + 1) / 2)) - S.gammaln(torch.tensor(nu / 2)) - 0.5 * math.log(nu * math.pi)
          - log_scale - (nu + 1) / 2 * S.log1p(t ** 2 / nu))
    loss = -ll.mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 9:
        print(f"step {step} nll {loss.item():.5f} loc {loc.item():.4f} scale {log_scale.exp().item():.4f}")
print(f"median {data.median().item():.4f} mean {data.mean().item():.4f}")
