"""torch.distributions beyond Normal: Categorical, Bernoulli, Uniform, Beta, Gamma, Dirichlet,
MultivariateNormal, Independent and KL divergences, with gradients of log_prob."""
import torch
from torch import distributions as D

logits = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
cat = D.Categorical(logits=logits)
print(cat.probs, cat.entropy(), cat.log_prob(torch.tensor(2)))
cat.log_prob(torch.tensor(1)).backward()
print(logits.grad)
bern = D.Bernoulli(probs=torch.tensor([0.2, 0.9]))
print(bern.log_prob(torch.tensor([1.0, 0.0])), bern.mean, bern.variance)
uni = D.Uniform(torch.tensor(0.0), torch.tensor(2.0))
print(uni.log_prob(torch.tensor(1.5)), uni.entropy(), uni.cdf(torch.tensor(0.5)))
beta = D.Beta(torch.tensor(2.0), torch.tensor(3.0))
print(beta.log_prob(torch.tensor(0.4)), beta.mean, beta.entropy())
gamma = D.Gamma(torch.tensor(2.0), torch.tensor(0.5))
print(gamma.log_prob(torch.tensor(3.0)), gamma.mean, gamma.variance)
dirichlet = D.Dirichlet(torch.tensor([1.0, 2.0, 3.0]))
print(dirichlet.log_prob(torch.tensor([0.2, 0.3, 0.5])), dirichlet.mean)
mvn = D.MultivariateNormal(torch.zeros(2), covariance_matrix=torch.tensor([[2.0, 0.5], [0.5, 1.0]]))
print(mvn.log_prob(torch.tensor([1.0, -1.0])), mvn.entropy(), mvn.scale_tril)
ind = D.Independent(D.Normal(torch.zeros(3), torch.ones(3)), 1)
print(ind.batch_shape, ind.event_shape, ind.log_prob(torch.zeros(3)))
print(D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 2.0)))
print(D.kl_divergence(D.Categorical(probs=torch.tensor([0.5, 0.5])), D.Categorical(probs=torch.tensor([0.9, 0.1]))))
print(D.kl_divergence(D.Beta(torch.tensor(2.0), torch.tensor(3.0)), D.Beta(torch.tensor(1.0), torch.tensor(1.0))))
mu = torch.tensor(0.5, requires_grad=True)
D.Normal(mu, 1.0).log_prob(torch.tensor(2.0)).backward()
print(mu.grad)
try:
    D.Normal(0.0, -1.0)
except ValueError as e:
    print("ValueError", str(e).split(" ")[0:3])
