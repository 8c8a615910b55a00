"""A soft actor-critic style squashed Gaussian policy (TransformedDistribution with a cached
TanhTransform and AffineTransform, Independent), maximum likelihood of Gamma and Multinomial
parameters kept in their supports by transform_to (positive, simplex), the interval, lower-Cholesky and
correlation-Cholesky maps with their Jacobians, and the dtypes distributions sample under float64."""
import torch
import torch.nn as nn
import torch.distributions as D
from torch.distributions.transforms import TanhTransform, AffineTransform, SigmoidTransform, ExpTransform
from torch.distributions import constraints, transform_to

# SAC-style squashed Gaussian policy
torch.manual_seed(0)
net = nn.Linear(4, 4)
obs = torch.randn(8, 4)
out = net(obs)
mu, log_std = out.chunk(2, -1)
std = log_std.clamp(-5, 2).exp()
pi = D.TransformedDistribution(D.Normal(mu, std), [TanhTransform(cache_size=1), AffineTransform(0., 2.)])
a = pi.rsample()
lp = pi.log_prob(a).sum(-1)
print(f"{lp.mean().item():.4f}", a.shape, lp.shape)
loss = (lp - a.pow(2).sum(-1)).mean()
loss.backward()
print(f"{net.weight.grad.norm().item():.4f}")
print(pi)
ind = D.Independent(pi, 1)
print(ind, ind.batch_shape, ind.event_shape)
print(f"{ind.log_prob(a).sum().item():.4f}")

# constrained parameter learning via transform_to
torch.manual_seed(1)
data = torch.distributions.Gamma(3.0, 2.0).sample((500,))
raw_a = torch.zeros((), requires_grad=True)
raw_b = torch.zeros((), requires_grad=True)
opt = torch.optim.Adam([raw_a, raw_b], lr=0.05)
tp = transform_to(constraints.positive)
for step in range(200):
    opt.zero_grad()
    d = D.Gamma(tp(raw_a), tp(raw_b))
    nll = -d.log_prob(data).mean()
    nll.backward()
    opt.step()
    if step % 50 == 0:
        print(step, f"{nll.item():.4f}")
print(f"{tp(raw_a).item():.4f} {tp(raw_b).item():.4f}")

# simplex param learning
torch.manual_seed(2)
counts = torch.tensor([10., 30., 60.])
ts = transform_to(constraints.simplex)
raw = torch.zeros(3, requires_grad=True)
print(ts, ts.inv)
opt = torch.optim.SGD([raw], lr=0.01)
for step in range(100):
    opt.zero_grad()
    p = ts(raw)
    loss = -D.Multinomial(100, probs=p).log_prob(counts)
    loss.backward()
    opt.step()
print(ts(raw).detach(), f"{loss.item():.4f}")

# interval
ti = transform_to(constraints.interval(-1., 3.))
print(ti)
x = torch.linspace(-3, 3, 5)
y = ti(x)
print(y, ti.inv(y), ti.log_abs_det_jacobian(x, y))

# Lower cholesky learning
torch.manual_seed(3)
tl = transform_to(constraints.lower_cholesky)
print(tl)
raw = torch.randn(3, 3, requires_grad=True)
L = tl(raw)
mvn = D.MultivariateNormal(torch.zeros(3), scale_tril=L)
obs = torch.randn(20, 3)
nll = -mvn.log_prob(obs).mean()
nll.backward()
print(f"{nll.item():.4f}", raw.grad)
tc = transform_to(constraints.corr_cholesky)
print(tc, tc(torch.zeros(3)), tc(torch.zeros(6)).shape)
lkj = D.LKJCholesky(3, 2.0)
print(f"{lkj.log_prob(tc(torch.tensor([0.1, -0.2, 0.3]))).item():.4f}")

# float64
torch.set_default_dtype(torch.float64)
torch.manual_seed(4)
d = D.Normal(0., 1.)
print(d.sample().dtype, d.loc.dtype, D.Categorical(torch.ones(3)).probs.dtype, D.Bernoulli(0.3).sample().dtype)
print(D.Dirichlet(torch.ones(3)).sample().dtype, D.Poisson(2.).sample().dtype, D.Binomial(3, 0.5).sample().dtype)
print(D.Categorical(torch.ones(3)).sample().dtype, D.OneHotCategorical(torch.ones(3)).sample().dtype)
print(D.Uniform(0, 1).low.dtype, D.Exponential(1.).rsample().dtype, D.Geometric(0.3).sample().dtype)
print(D.MultivariateNormal(torch.zeros(2), torch.eye(2)).sample().dtype)
print(ExpTransform()(torch.tensor(1.)).dtype, SigmoidTransform().log_abs_det_jacobian(torch.tensor(1.), torch.tensor(0.7)).dtype)
torch.set_default_dtype(torch.float32)
print(D.Normal(torch.tensor(0., dtype=torch.float64), 1.).scale.dtype)
print(D.Normal(torch.tensor(0, dtype=torch.int64).float(), 1.).scale.dtype)
print(D.Categorical(logits=torch.zeros(3, dtype=torch.float64)).sample().dtype)
print(D.Bernoulli(torch.tensor(0.3, dtype=torch.float64)).sample().dtype)
print(D.Normal(0., 1.).log_prob(torch.tensor(1, dtype=torch.int64)))
print(D.Categorical(torch.ones(3)).log_prob(torch.tensor([0, 2])))
try:
    print(D.Categorical(torch.ones(3)).log_prob(torch.tensor([0., 2.])))
except Exception as e:
    print(type(e).__name__, e)
print(D.Poisson(torch.tensor(2.)).log_prob(torch.tensor([1, 0])))
