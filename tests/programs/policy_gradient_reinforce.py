"""REINFORCE on a small corridor environment written here, with Categorical and a running list of
log-probabilities (the common pattern that keeps graph intermediates in Python lists).

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.optim as optim
from torch.distributions import Categorical


class Corridor:
    """Walk from cell 0 to cell 5; actions: 0 = left, 1 = right; reward 1 at the goal."""

    def reset(self):
        self.pos = 0
        self.t = 0
        return self.obs()

    def obs(self):
        return torch.eye(6)[self.pos]

    def step(self, action):
        self.t += 1
        self.pos = max(0, min(5, self.pos + (1 if action == 1 else -1)))
        done = self.pos == 5 or self.t >= 20
        return self.obs(), (1.0 if self.pos == 5 else -0.01), done


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(6, 16)
        self.affine2 = nn.Linear(16, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        return torch.softmax(self.affine2(torch.relu(self.affine1(x))), dim=-1)


torch.manual_seed(543)
env, policy = Corridor(), Policy()
optimizer = optim.Adam(policy.parameters(), lr=3e-2)
gamma = 0.99
entropies = []
for episode in range(30):
    state, ep_reward = env.reset(), 0.0
    done = False
    while not done:
        probs = policy(state)
        m = Categorical(probs)
        entropies.append(m.entropy())  # logged, never backpropagated
        action = int(torch.argmax(probs)) if episode % 3 else int(env.t % 4 != 3)  # some exploration
        policy.saved_log_probs.append(m.log_prob(torch.tensor(action)))
        state, reward, done = env.step(action)
        policy.rewards.append(reward)
        ep_reward += reward
    R, returns = 0.0, []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + 1e-8) if len(returns) > 1 else returns
    policy_loss = torch.cat([(-log_prob * R).unsqueeze(0) for log_prob, R in zip(policy.saved_log_probs, returns)]).sum()
    optimizer.zero_grad()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    if episode % 5 == 0:
        print(f"Episode {episode}\tsteps {env.t}\treward {ep_reward:.2f}\tloss {round(policy_loss.item(), 4) + 0.0:.4f}")
print(len(entropies) > 0, policy(torch.eye(6)[0]).detach())
