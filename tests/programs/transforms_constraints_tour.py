"""torch.distributions transforms and constraints: repr, domain/codomain and their event_dim,
bijective, sign, inv, forward_shape/inverse_shape (tuple in, tuple out) for every transform;
log_abs_det_jacobian and inverse round trips; Cat/Stack/CumulativeDistribution transforms; every
constraint's repr, is_discrete, event_dim, check() and its biject_to/transform_to; then the edge cases
of KL(Uniform(0, 1) || Beta/Gamma) and ContinuousBernoulli given large logits."""
import torch
from torch.distributions import transforms as T, constraints
from torch.distributions import biject_to, transform_to

def show(name, f):
    try:
        r = f()
        print(name, r)
    except Exception as e:
        print(name, "EXC", type(e).__name__, e)

torch.manual_seed(0)
x = torch.randn(3, 4)
ts = [T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform(), T.AffineTransform(1.0, 2.0),
      T.AffineTransform(torch.tensor(1.0), torch.tensor(-2.0)), T.PowerTransform(2.0), T.SoftmaxTransform(),
      T.StickBreakingTransform(), T.AbsTransform(), T.SoftplusTransform(),
      T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0., 3.)]), T.ExpTransform().inv,
      T.IndependentTransform(T.ExpTransform(), 1), T.ReshapeTransform((4,), (2, 2)),
      T.LowerCholeskyTransform(), T.CorrCholeskyTransform(), T.PositiveDefiniteTransform(),
      T.CatTransform([T.ExpTransform(), T.identity_transform], dim=0, lengths=[1, 2]),
      T.StackTransform([T.ExpTransform(), T.SigmoidTransform()], dim=1),
      T.CumulativeDistributionTransform(torch.distributions.Normal(0., 1.))]
for t in ts:
    print("---", repr(t))
    show("domain", lambda: repr(t.domain))
    show("codomain", lambda: repr(t.codomain))
    show("event_dim", lambda: (t.domain.event_dim, t.codomain.event_dim, getattr(t, 'event_dim', None)))
    show("bijective", lambda: t.bijective)
    show("sign", lambda: t.sign)
    show("inv", lambda: repr(t.inv))
    show("inv.inv is t", lambda: t.inv.inv is t)
    show("eq", lambda: t == t)
    show("fshape", lambda: t.forward_shape((3, 4)))
    show("ishape", lambda: t.inverse_shape((3, 4)))

torch.manual_seed(0)
x = torch.randn(3, 4)
for t in ts[:13]:
    y = t(x if not isinstance(t, T.PowerTransform) else x.abs())
    print(repr(t), y.shape)
    show("  ladj", lambda: t.log_abs_det_jacobian(x, y).shape)
    show("  ladj val", lambda: t.log_abs_det_jacobian(x, y).sum().item())
    show("  inv roundtrip", lambda: (t.inv(y) - x).abs().max().item() if t.bijective else None)

# stick breaking, lower cholesky, corr cholesky
torch.manual_seed(1)
v = torch.randn(2, 6)
c = T.CorrCholeskyTransform()
L = c(v)
print(L)
print(c.inv(L))
print(c.log_abs_det_jacobian(v, L))
r = T.ReshapeTransform((6,), (2, 3))
print(r(v).shape, r.inv(r(v)).shape, r.log_abs_det_jacobian(v, r(v)))
print(T.identity_transform, T.ComposeTransform([]))
cat = T.CatTransform([T.ExpTransform(), T.AffineTransform(0, 2)], dim=1, lengths=[3, 3])
y = cat(v)
print(y, cat.log_abs_det_jacobian(v, y), cat.inv(y))
st = T.StackTransform([T.ExpTransform(), T.AffineTransform(0, 2)], dim=0)
y = st(v)
print(y, st.log_abs_det_jacobian(v, y))
cdf = T.CumulativeDistributionTransform(torch.distributions.Normal(0., 1.))
y = cdf(v)
print(y, cdf.log_abs_det_jacobian(v, y), cdf.inv(y))

for c in [constraints.real, constraints.positive, constraints.simplex, constraints.lower_cholesky,
          constraints.interval(0, 1), constraints.integer_interval(0, 5), constraints.real_vector,
          constraints.unit_interval, constraints.boolean, constraints.nonnegative_integer, constraints.positive_definite,
          constraints.corr_cholesky, constraints.greater_than(2.), constraints.half_open_interval(0, 1),
          constraints.independent(constraints.real, 2), constraints.cat([constraints.real, constraints.positive], 0, [1, 1]),
          constraints.less_than(3), constraints.greater_than_eq(1), constraints.positive_integer, constraints.one_hot,
          constraints.positive_semidefinite, constraints.square, constraints.symmetric, constraints.multinomial(3),
          constraints.dependent, constraints.stack([constraints.real, constraints.positive], 0)]:
    print("===", repr(c), str(c))
    show("is_discrete", lambda: c.is_discrete)
    show("event_dim", lambda: c.event_dim)
    show("biject_to", lambda: repr(biject_to(c)))
    show("transform_to", lambda: repr(transform_to(c)))
    show("check", lambda: c.check(torch.tensor([[0.2, 0.8], [0.5, 0.5]])))

D = torch.distributions
unit = D.Uniform(torch.tensor([0.0, 0.0, 0.3]), torch.tensor([1.0, 0.6, 1.0]))
print(D.kl_divergence(unit, D.Beta(torch.tensor(2.0), torch.tensor(3.0))))
print(D.kl_divergence(unit, D.Gamma(torch.tensor(2.0), torch.tensor(3.0))))
cb = D.ContinuousBernoulli(logits=torch.tensor([0.0, 30.0, -30.0, 100.0]))
print(cb.probs, cb.entropy(), cb.mean, cb.variance)
cb = D.ContinuousBernoulli(probs=torch.tensor([0.5, 0.3]))
print(cb.entropy(), D.kl_divergence(cb, cb), f"{cb.entropy()[0]:.4f}")
