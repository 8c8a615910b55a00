"""Fitting a 1-D and a 2-D Gaussian mixture by maximum likelihood with gradient descent, using
torch.distributions: MixtureSameFamily over Categorical + Normal, and over Categorical +
Independent(Normal) for diagonal 2-D components; unconstrained parameters mapped with softplus
and log_softmax; responsibilities from component log-probs; and a comparison with a few
hand-written EM steps.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn.functional as F
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

# --- data from a known 1-D mixture ---
true_w = torch.tensor([0.3, 0.5, 0.2])
true_mu = torch.tensor([-3.0, 0.5, 4.0])
true_sd = torch.tensor([0.6, 1.0, 0.4])
comp = torch.multinomial(true_w, 600, replacement=True)
x = true_mu[comp] + true_sd[comp] * torch.randn(600)
print(x.shape, torch.bincount(comp), f"{x.mean().item():.4f} {x.std().item():.4f}")

gmm_true = MixtureSameFamily(Categorical(probs=true_w), Normal(true_mu, true_sd))
print(gmm_true.batch_shape, gmm_true.event_shape)
print(f"true nll {-gmm_true.log_prob(x).mean().item():.4f}")
print(gmm_true.mean, gmm_true.variance)

logit_w = torch.zeros(3, requires_grad=True)
mu = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
raw_sd = torch.zeros(3, requires_grad=True)
opt = torch.optim.Adam([logit_w, mu, raw_sd], lr=0.05)
for step in range(300):
    mix = MixtureSameFamily(Categorical(logits=logit_w), Normal(mu, F.softplus(raw_sd) + 1e-3))
    nll = -mix.log_prob(x).mean()
    opt.zero_grad()
    nll.backward()
    opt.step()
    if step % 75 == 0 or step == 299:
        print(f"step {step:3d} nll {nll.item():.4f}")
order = mu.detach().argsort()
print("weights", F.softmax(logit_w, 0).detach()[order].round(decimals=2))
print("means  ", mu.detach()[order].round(decimals=2))
print("sds    ", (F.softplus(raw_sd) + 1e-3).detach()[order].round(decimals=2))

# responsibilities: p(component | x) via Bayes' rule on log-probs
with torch.no_grad():
    comp_logp = Normal(mu, F.softplus(raw_sd) + 1e-3).log_prob(x.unsqueeze(-1))  # N, K
    log_resp = comp_logp + F.log_softmax(logit_w, 0)
    resp = (log_resp - torch.logsumexp(log_resp, dim=1, keepdim=True)).exp()
    hard = resp.argmax(1)
    remap = torch.empty_like(order)
    remap[order] = torch.arange(3)
    agree = (remap[hard] == comp).double().mean().item()
print(resp.shape, f"assignment agreement {agree:.3f}", torch.allclose(resp.sum(1), torch.ones(600)))

# a few EM steps from the same start, written by hand
w_em = torch.full((3,), 1 / 3)
mu_em = torch.tensor([-1.0, 0.0, 1.0])
var_em = torch.ones(3)
for it in range(30):
    lp = Normal(mu_em, var_em.sqrt()).log_prob(x[:, None]) + w_em.log()
    r = torch.softmax(lp, dim=1)
    nk = r.sum(0)
    w_em = nk / len(x)
    mu_em = (r * x[:, None]).sum(0) / nk
    var_em = (r * (x[:, None] - mu_em) ** 2).sum(0) / nk
em_nll = -MixtureSameFamily(Categorical(probs=w_em), Normal(mu_em, var_em.sqrt())).log_prob(x).mean()
print(f"EM nll {em_nll.item():.4f}", mu_em.sort().values.round(decimals=2))

# --- 2-D mixture with diagonal components via Independent ---
centers = torch.tensor([[-2.0, -2.0], [2.0, 0.0], [0.0, 3.0]])
labels = torch.randint(0, 3, (300,))
pts = centers[labels] + 0.5 * torch.randn(300, 2)
loc = torch.randn(3, 2, requires_grad=True)
log_scale = torch.zeros(3, 2, requires_grad=True)
mix_logits = torch.zeros(3, requires_grad=True)
opt = torch.optim.Adam([loc, log_scale, mix_logits], lr=0.1)
for step in range(200):
    comps = Independent(Normal(loc, log_scale.exp()), 1)
    gmm = MixtureSameFamily(Categorical(logits=mix_logits), comps)
    loss = -gmm.log_prob(pts).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(comps.batch_shape, comps.event_shape, gmm.event_shape)
print(f"2-D nll {loss.item():.4f}")
fitted = loc.detach()[loc.detach()[:, 0].argsort()]
print(fitted.round(decimals=1))
print(log_scale.exp().detach().mean().round(decimals=2))
