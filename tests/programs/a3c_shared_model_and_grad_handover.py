"""A3C's shared-model pattern in one process (MorvanZhou / ikostrikov style): a global net after
module.share_memory(), a SharedAdam subclass that fills optimizer.state by hand and calls
share_memory_() on its buffers (first with the pre-1.12 plain-number step torch now refuses, then
with tensor steps), a local net whose gradients are handed over with ``gp._grad = lp.grad``,
the errors of assigning a gradient of another size, dtype or type, Categorical sample shapes,
one_hot's checks, an Embedding state table and a GRU policy's hidden-state errors.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.multiprocessing as mp
from torch.distributions import Categorical, Normal


class SharedAdam(torch.optim.Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0):
        super(SharedAdam, self).__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        for group in self.param_groups:
            for p in group['params']:
                state = self.state[p]
                state['step'] = 0
                state['exp_avg'] = torch.zeros_like(p.data)
                state['exp_avg_sq'] = torch.zeros_like(p.data)
                state['exp_avg'].share_memory_()
                state['exp_avg_sq'].share_memory_()


class SharedAdam2(torch.optim.Adam):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, lr=lr)
        for group in self.param_groups:
            for p in group['params']:
                state = self.state[p]
                state['step'] = torch.tensor(0.0)
                state['exp_avg'] = torch.zeros_like(p.data).share_memory_()
                state['exp_avg_sq'] = torch.zeros_like(p.data).share_memory_()
                state['step'].share_memory_()


class Net(nn.Module):
    def __init__(self, s_dim, a_dim):
        super(Net, self).__init__()
        self.pi1 = nn.Linear(s_dim, 16)
        self.pi2 = nn.Linear(16, a_dim)
        self.v1 = nn.Linear(s_dim, 16)
        self.v2 = nn.Linear(16, 1)
        for layer in [self.pi1, self.pi2, self.v1, self.v2]:
            nn.init.normal_(layer.weight, mean=0., std=0.1)
            nn.init.constant_(layer.bias, 0.)
        self.distribution = torch.distributions.Categorical

    def forward(self, x):
        pi1 = torch.tanh(self.pi1(x))
        logits = self.pi2(pi1)
        v1 = torch.tanh(self.v1(x))
        values = self.v2(v1)
        return logits, values

    def choose_action(self, s):
        self.eval()
        logits, _ = self.forward(s)
        prob = F.softmax(logits, dim=1).data
        m = self.distribution(prob)
        return m.sample().numpy()[0]

    def loss_func(self, s, a, v_t):
        self.train()
        logits, values = self.forward(s)
        td = v_t - values
        c_loss = td.pow(2)
        probs = F.softmax(logits, dim=1)
        m = self.distribution(probs)
        exp_v = m.log_prob(a) * td.detach().squeeze()
        a_loss = -exp_v
        total_loss = (c_loss + a_loss).mean()
        return total_loss


torch.manual_seed(0)
gnet = Net(4, 2)
gnet.share_memory()
print(gnet.pi1.weight.is_shared())
opt = SharedAdam(gnet.parameters(), lr=1e-4, betas=(0.92, 0.999))
lnet = Net(4, 2)
lnet.load_state_dict(gnet.state_dict())
s = torch.randn(5, 4)
a = torch.tensor([0, 1, 1, 0, 1])
v_t = torch.randn(5, 1)
print(lnet.choose_action(s[:1]), type(lnet.choose_action(s[:1])))
loss = lnet.loss_func(s, a, v_t)
opt.zero_grad()
loss.backward()
for lp, gp in zip(lnet.parameters(), gnet.parameters()):
    gp._grad = lp.grad
print(gnet.pi1.bias.grad is lnet.pi1.bias.grad, gnet.pi1.bias._grad is not None)
try:
    opt.step()
    print("stepped", opt.state[gnet.pi1.bias]['step'])
except Exception as e:
    print(type(e).__name__, e)
opt2 = SharedAdam2(gnet.parameters(), lr=1e-4)
try:
    opt2.step()
    print("stepped2", opt2.state[gnet.pi1.bias]['step'], f"{gnet.pi1.bias.sum().item():.6f}")
except Exception as e:
    print(type(e).__name__, e)
lnet.load_state_dict(gnet.state_dict())
print(f"{loss.item():.5f}", lnet.training, lnet.distribution)
print(mp.cpu_count() > 0, type(mp.Value('i', 0)), mp.get_start_method(allow_none=True) in (None, 'fork', 'spawn', 'forkserver'))
x = torch.zeros(3)
x._grad = torch.ones(3)
print(x.grad)
w = nn.Parameter(torch.ones(2))
w.grad = torch.ones(2)
w._grad = None
print(w.grad)
try:
    w.grad = torch.ones(3)
except Exception as e:
    print(type(e).__name__, e)
try:
    w.grad = torch.ones(2, dtype=torch.float64)
except Exception as e:
    print(type(e).__name__, e)
try:
    w.grad = [1.0, 2.0]
except Exception as e:
    print(type(e).__name__, e)
# sample shapes
torch.manual_seed(1)
d = Categorical(logits=torch.zeros(3))
try:
    print(d.sample(5))
except Exception as e:
    print(type(e).__name__, e)
print(d.sample([2]), d.sample(torch.Size([2, 2])).shape, d.sample((1,)).shape)
nd = Normal(torch.zeros(2), 1.0)
print(nd.sample([3]).shape, nd.expand([4, 2]).batch_shape, d.expand([2, 3]).sample().shape)
print(F.one_hot(torch.tensor([1, 3]), num_classes=-1))
for bad in [lambda: F.one_hot(torch.tensor([1, 3]), num_classes=3), lambda: F.one_hot(torch.tensor([-1])), lambda: F.one_hot(torch.tensor([1.0])),
            lambda: F.one_hot(torch.tensor([], dtype=torch.long)), lambda: F.one_hot(torch.tensor(2), 4)]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
emb = nn.Embedding(6, 3)
print(emb(torch.tensor(2)).shape, emb(torch.tensor([[1, 2]])).shape)
try:
    emb(torch.tensor([6]))
except Exception as e:
    print(type(e).__name__, e)
try:
    emb(torch.tensor([1.0]))
except Exception as e:
    print(type(e).__name__, e)
gru = nn.GRU(4, 8, batch_first=True)
h = torch.zeros(1, 1, 8)
out, h = gru(torch.randn(1, 3, 4), h)
print(out.shape, h.shape, h.detach().requires_grad)
cell = nn.LSTMCell(4, 8)
hx, cx = cell(torch.randn(2, 4))
print(hx.shape, cx.shape)
try:
    gru(torch.randn(1, 3, 4), torch.zeros(1, 8))
except Exception as e:
    print(type(e).__name__, e)
