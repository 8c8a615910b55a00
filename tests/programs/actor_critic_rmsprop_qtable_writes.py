"""The pytorch/examples actor-critic (SavedAction namedtuple, smooth_l1_loss per step, stacked
losses) under RMSprop with a LambdaLR schedule; Q-table updates written through chained indexing
(``Q[s][a] += ...``) and through an advanced-index copy that must not write back; scatter_ one-hots
and gather/argmax over Q-values with their index errors; OneHotCategorical, gumbel_softmax,
RelaxedOneHotCategorical, a Beta policy and Bernoulli; Categorical.log_prob of float and
ill-shaped actions; acting under no_grad as a decorator, inference_mode and set_grad_enabled;
clip_grad_norm_ of a NaN gradient with and without error_if_nonfinite.
"""
from collections import namedtuple
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical, OneHotCategorical, Beta, RelaxedOneHotCategorical, Bernoulli

SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 16)
        self.action_head = nn.Linear(16, 2)
        self.value_head = nn.Linear(16, 1)
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_prob = F.softmax(self.action_head(x), dim=-1)
        state_values = self.value_head(x)
        return action_prob, state_values


torch.manual_seed(0)
model = Policy()
optimizer = optim.RMSprop(model.parameters(), lr=7e-4, alpha=0.99, eps=1e-5)
sched = optim.lr_scheduler.LambdaLR(optimizer, lambda e: 1 - e / 10)
print(optimizer, sched.get_last_lr())
for ep in range(3):
    for t in range(5):
        state = torch.from_numpy(np.array([0.1 * t, -0.2, 0.05 * ep, 0.3])).float()
        probs, state_value = model(state)
        m = Categorical(probs)
        action = m.sample()
        model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
        model.rewards.append(1.0 if action.item() == 1 else 0.0)
    R = 0
    saved_actions = model.saved_actions
    policy_losses, value_losses, returns = [], [], []
    for r in model.rewards[::-1]:
        R = r + 0.99 * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + 1e-8)
    for (log_prob, value), R in zip(saved_actions, returns):
        advantage = R - value.item()
        policy_losses.append(-log_prob * advantage)
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
    optimizer.zero_grad()
    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
    loss.backward()
    optimizer.step()
    sched.step()
    print(ep, f"{loss.item():.4f}", sched.get_last_lr(), torch.stack(value_losses).shape, torch.stack(policy_losses).shape)
    del model.rewards[:]
    del model.saved_actions[:]
print(optimizer.state_dict()['state'][0].keys(), sched.state_dict()['last_epoch'], sched.state_dict().keys())
print(type(returns[0].item()), returns.dtype, value.dtype, log_prob.shape, type(advantage))

# chained Q-table writes
torch.manual_seed(1)
Q = torch.zeros(4, 3)
s, a = 2, 1
Q[s][a] = 5.0
Q[s][a] += 0.5
Q[torch.tensor(1)][torch.tensor(2)] = 3
Q[3, :][0] -= 1
print(Q)
Qs = Q[[0, 2]]
Qs[0, 0] = 99
print(Q[0, 0], Qs[0, 0])
onehot = torch.zeros(5).scatter_(0, torch.tensor([3]), 1)
print(onehot, torch.zeros(2, 5).scatter_(1, torch.tensor([[1], [4]]), 1.0))
act = torch.tensor([0, 2, 1, 1])
qv = torch.randn(4, 3)
print(torch.gather(qv, 1, act.unsqueeze(-1)).squeeze(-1), qv.max(-1)[0], qv.max(dim=1, keepdim=True)[0].detach().shape)
print(qv.gather(1, act.view(-1, 1)).view(-1), qv[torch.arange(4), act], torch.argmax(qv, dim=-1, keepdim=True))
try:
    qv.gather(1, act)
except Exception as e:
    print(type(e).__name__, e)
try:
    qv.gather(0, act.view(1, -1).float())
except Exception as e:
    print(type(e).__name__, e)

# distributions used in policies
torch.manual_seed(2)
ohc = OneHotCategorical(logits=torch.tensor([0.1, 0.5, 0.2]))
s1 = ohc.sample((2,))
print(s1, ohc.log_prob(s1), ohc.entropy(), ohc.event_shape, ohc.mean)
print(F.gumbel_softmax(torch.tensor([[1.0, 2.0, 0.5]]), tau=0.5), F.gumbel_softmax(torch.tensor([[1.0, 2.0, 0.5]]), hard=True))
rel = RelaxedOneHotCategorical(torch.tensor(0.5), logits=torch.tensor([0.1, 0.5, 0.2]))
print(rel.rsample(), rel)
beta_net = nn.Linear(3, 4)
out = F.softplus(beta_net(torch.ones(2, 3))) + 1
alpha_, beta_ = out.chunk(2, dim=-1)
bd = Beta(alpha_, beta_)
a = bd.rsample()
print(a, bd.log_prob(a).sum(-1), bd.entropy(), bd.mean, bd.variance)
b = Bernoulli(logits=torch.tensor([0.0, 2.0]))
print(b.sample(), b.log_prob(torch.tensor([1.0, 0.0])), b.entropy(), b.probs, b)
try:
    Categorical(probs=torch.tensor([0.3, 0.7])).log_prob(torch.tensor(1.5))
except Exception as e:
    print(type(e).__name__, str(e)[:160])
print(Categorical(probs=torch.tensor([0.3, 0.7])).log_prob(torch.tensor(1.)))
print(Categorical(probs=torch.tensor([[0.3, 0.7], [0.5, 0.5]])).log_prob(torch.tensor([1, 0])))
print(Categorical(probs=torch.tensor([[0.3, 0.7], [0.5, 0.5]])).log_prob(torch.tensor([[1], [0]])))
try:
    Categorical(probs=torch.tensor([[0.3, 0.7], [0.5, 0.5]])).log_prob(torch.tensor([1, 0, 1]))
except Exception as e:
    print(type(e).__name__, e)

# grad-mode helpers in acting
@torch.no_grad()
def act(x):
    return model(x)[0].argmax().item(), model(x)[0].requires_grad

print(act(torch.ones(4)), torch.is_grad_enabled())
with torch.inference_mode():
    p, v = model(torch.ones(4))
    print(p.requires_grad, p.is_inference(), v)
try:
    (v * 2).sum().backward()
except Exception as e:
    print(type(e).__name__, e)
with torch.set_grad_enabled(False):
    print(model(torch.ones(4))[1].grad_fn)
model.train(False)
print(model.training, model.affine1.training)
params = [p for p in model.parameters()]
params[0].grad = torch.full_like(params[0], float('nan'))
print(nn.utils.clip_grad_norm_(model.parameters(), 1.0))
try:
    nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
except Exception as e:
    print(type(e).__name__, e)
model.zero_grad()
print(params[0].grad, nn.utils.clip_grad_norm_(model.parameters(), 1.0))
