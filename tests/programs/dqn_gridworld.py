"""Deep Q-learning on a small deterministic grid world, in the style of the DQN tutorial: a replay
memory (collections.deque + Python's random with a fixed seed), epsilon-greedy action selection,
a policy and a target network with soft updates via the state_dict, Q(s, a) by gather, max over the
target net's next-state values with a done mask, smooth_l1_loss, and clip_grad_value_.

tolerance: rtol=2e-3 atol=1e-5
"""
import math
import random
from collections import deque, namedtuple

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
random.seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

Transition = namedtuple("Transition", ("state", "action", "next_state", "reward", "done"))
SIZE = 5
GOAL = (4, 4)
PIT = (2, 2)
MOVES = [(-1, 0), (1, 0), (0, -1), (0, 1)]


class GridWorld:
    def reset(self):
        self.pos = (0, 0)
        self.steps = 0
        return self.observe()

    def observe(self):
        s = torch.zeros(2 * SIZE)
        s[self.pos[0]] = 1.0
        s[SIZE + self.pos[1]] = 1.0
        return s

    def step(self, action):
        dr, dc = MOVES[action]
        self.pos = (min(max(self.pos[0] + dr, 0), SIZE - 1), min(max(self.pos[1] + dc, 0), SIZE - 1))
        self.steps += 1
        if self.pos == GOAL:
            return self.observe(), 1.0, True
        if self.pos == PIT:
            return self.observe(), -1.0, True
        return self.observe(), -0.01, self.steps >= 30


class ReplayMemory:
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


class DQN(nn.Module):
    def __init__(self, n_obs, n_actions):
        super().__init__()
        self.layer1 = nn.Linear(n_obs, 64)
        self.layer2 = nn.Linear(64, 64)
        self.layer3 = nn.Linear(64, n_actions)

    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY, TAU, LR = 32, 0.95, 0.9, 0.05, 300, 0.01, 1e-3
env = GridWorld()
policy_net = DQN(2 * SIZE, 4).to(device)
target_net = DQN(2 * SIZE, 4).to(device)
target_net.load_state_dict(policy_net.state_dict())
optimizer = torch.optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(2000)
steps_done = 0


def select_action(state):
    global steps_done
    sample = random.random()
    eps = EPS_END + (EPS_START - EPS_END) * math.exp(-1.0 * steps_done / EPS_DECAY)
    steps_done += 1
    if sample > eps:
        with torch.no_grad():
            return policy_net(state.unsqueeze(0)).max(1).indices.view(1, 1)
    return torch.tensor([[random.randrange(4)]], device=device, dtype=torch.long)


def optimize_model():
    if len(memory) < BATCH_SIZE:
        return None
    batch = Transition(*zip(*memory.sample(BATCH_SIZE)))
    state_batch = torch.stack(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.tensor(batch.reward)
    next_states = torch.stack(batch.next_state)
    done = torch.tensor(batch.done, dtype=torch.bool)
    state_action_values = policy_net(state_batch).gather(1, action_batch)
    with torch.no_grad():
        next_state_values = target_net(next_states).max(1).values.masked_fill(done, 0.0)
    expected = reward_batch + GAMMA * next_state_values
    loss = F.smooth_l1_loss(state_action_values, expected.unsqueeze(1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    return loss.item()


returns = []
for episode in range(60):
    state = env.reset()
    total, loss = 0.0, None
    for t in range(30):
        action = select_action(state)
        next_state, reward, done = env.step(action.item())
        total += reward
        memory.push(state, action, next_state, reward, done)
        state = next_state
        loss = optimize_model()
        target_sd = target_net.state_dict()
        policy_sd = policy_net.state_dict()
        for key in policy_sd:
            target_sd[key] = policy_sd[key] * TAU + target_sd[key] * (1 - TAU)
        target_net.load_state_dict(target_sd)
        if done:
            break
    returns.append(total)
    if episode % 10 == 0:
        loss_str = "none" if loss is None else f"{loss:.5f}"
        print(f"episode {episode:2d} return {total:+.2f} steps {t + 1:2d} loss {loss_str} memory {len(memory)}")

print(f"mean return last 10: {sum(returns[-10:]) / 10:+.3f}", steps_done)
with torch.no_grad():
    grid = torch.zeros(SIZE, SIZE, dtype=torch.long)
    values = torch.zeros(SIZE, SIZE)
    for r in range(SIZE):
        for c in range(SIZE):
            env.pos = (r, c)
            q = policy_net(env.observe())
            grid[r, c] = q.argmax()
            values[r, c] = q.max()
    print(grid)
    print(values)
