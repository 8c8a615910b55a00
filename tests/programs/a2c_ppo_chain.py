"""Actor-critic on a hand-written chain environment: a shared-trunk network with policy and value
heads, torch.distributions.Categorical for log_prob and entropy, GAE advantages, first an A2C
update and then PPO's clipped surrogate with several epochs over minibatches. Actions are sampled
by hand with torch.multinomial on the softmax probabilities (seeded), not Categorical.sample.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


class Chain:
    """States 0..6, start in the middle; action 0 moves left, 1 right, 2 stays.
    Reaching 6 pays +1, reaching 0 pays +0.1; each step costs 0.01; episodes last at most 12 steps."""
    N = 7

    def reset(self):
        self.s, self.t = 3, 0
        return self.obs()

    def obs(self):
        return F.one_hot(torch.tensor(self.s), self.N).to(torch.get_default_dtype())

    def step(self, a):
        self.t += 1
        self.s = max(0, min(self.N - 1, self.s + (-1, 1, 0)[a]))
        if self.s == self.N - 1:
            return self.obs(), 1.0, True
        if self.s == 0:
            return self.obs(), 0.1, True
        return self.obs(), -0.01, self.t >= 12


class ActorCritic(nn.Module):
    def __init__(self, n_obs=7, n_act=3, hidden=32):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(n_obs, hidden), nn.Tanh())
        self.pi = nn.Linear(hidden, n_act)
        self.v = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.pi(h), self.v(h).squeeze(-1)


def rollout(env, net, n_steps):
    obs, acts, rews, dones, logps, vals = [], [], [], [], [], []
    o = env.reset()
    for _ in range(n_steps):
        with torch.no_grad():
            logits, v = net(o)
            probs = F.softmax(logits, dim=-1)
            a = torch.multinomial(probs, 1).item()
            logp = Categorical(logits=logits).log_prob(torch.tensor(a))
        o2, r, d = env.step(a)
        obs.append(o)
        acts.append(a)
        rews.append(r)
        dones.append(d)
        logps.append(logp)
        vals.append(v)
        o = env.reset() if d else o2
    with torch.no_grad():
        _, last_v = net(o)
    return (torch.stack(obs), torch.tensor(acts), torch.tensor(rews), torch.tensor(dones, dtype=torch.bool),
            torch.stack(logps), torch.stack(vals), last_v)


def gae(rews, vals, dones, last_v, gamma=0.95, lam=0.9):
    adv = torch.zeros_like(rews)
    running = 0.0
    for t in reversed(range(len(rews))):
        next_v = last_v if t == len(rews) - 1 else vals[t + 1]
        nonterminal = 0.0 if dones[t] else 1.0
        delta = rews[t] + gamma * next_v * nonterminal - vals[t]
        running = delta + gamma * lam * nonterminal * running
        adv[t] = running
    return adv, adv + vals


env = Chain()
net = ActorCritic()
print(net)
d = Categorical(logits=torch.tensor([0.0, 1.0, -1.0]))
print(d.probs, d.entropy(), d.log_prob(torch.tensor([0, 1, 2])))
print(d.batch_shape, d.event_shape, d.param_shape)

# --- A2C: one gradient step per rollout ---
opt = torch.optim.RMSprop(net.parameters(), lr=7e-3, alpha=0.99, eps=1e-5)
for it in range(15):
    obs, acts, rews, dones, old_logp, vals, last_v = rollout(env, net, 32)
    adv, returns = gae(rews, vals, dones, last_v)
    logits, v = net(obs)
    dist = Categorical(logits=logits)
    policy_loss = -(dist.log_prob(acts) * adv).mean()
    value_loss = F.mse_loss(v, returns)
    entropy = dist.entropy().mean()
    loss = policy_loss + 0.5 * value_loss - 0.01 * entropy
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(net.parameters(), 0.5)
    opt.step()
    if it % 5 == 0 or it == 14:
        print(f"a2c {it:2d} reward {rews.sum().item():+.3f} episodes {int(dones.sum())} "
              f"pi {policy_loss.item():+.4f} v {value_loss.item():.4f} H {entropy.item():.4f}")

# --- PPO-clip: several epochs of minibatch updates on each rollout ---
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
clip = 0.2
for it in range(10):
    obs, acts, rews, dones, old_logp, vals, last_v = rollout(env, net, 64)
    adv, returns = gae(rews, vals, dones, last_v)
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    clip_fracs = []
    for epoch in range(4):
        perm = torch.randperm(64)
        for start in range(0, 64, 16):
            mb = perm[start:start + 16]
            logits, v = net(obs[mb])
            dist = Categorical(logits=logits)
            ratio = torch.exp(dist.log_prob(acts[mb]) - old_logp[mb])
            surr1 = ratio * adv[mb]
            surr2 = torch.clamp(ratio, 1 - clip, 1 + clip) * adv[mb]
            pl = -torch.min(surr1, surr2).mean()
            vl = 0.5 * (returns[mb] - v).pow(2).mean()
            loss = pl + 0.5 * vl - 0.01 * dist.entropy().mean()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 0.5)
            opt.step()
            clip_fracs.append(((ratio - 1).abs() > clip).double().mean().item())
    if it % 3 == 0 or it == 9:
        print(f"ppo {it:2d} reward {rews.sum().item():+.3f} episodes {int(dones.sum())} "
              f"clipfrac {sum(clip_fracs) / len(clip_fracs):.3f} vloss {vl.item():.4f}")

with torch.no_grad():
    logits, values = net(torch.eye(7))
    print("greedy actions:", logits.argmax(-1).tolist())
    print("values:", values.round(decimals=2))
    print("policy:", F.softmax(logits, -1)[3].round(decimals=3))
