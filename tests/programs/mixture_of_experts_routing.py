"""Sparse mixture-of-experts layers, the way Switch-Transformer / GShard / Shazeer-style code writes
them: a router with top-k gating (softmax, topk, renormalised gates), expert capacity computed with
F.one_hot + cumsum (tokens over capacity dropped), two dispatch implementations that must agree —
a loop over experts with nonzero/index_select/index_add_ and a dense GShard dispatch/combine tensor
contracted with einsum against stacked expert weights — the load-balancing auxiliary loss and the
router z-loss, noisy top-k gating with softplus noise and the smooth load estimate through
torch.distributions.Normal(0, 1).cdf, expert utilisation with bincount, and a short training run on
a task where each input cluster needs a different function.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal

torch.manual_seed(0)


class Expert(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.w1 = nn.Linear(d, hidden)
        self.w2 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.w2(F.gelu(self.w1(x)))


class SwitchMoE(nn.Module):
    def __init__(self, d=8, hidden=16, num_experts=4, k=2, capacity_factor=1.25):
        super().__init__()
        self.router = nn.Linear(d, num_experts, bias=False)
        self.experts = nn.ModuleList(Expert(d, hidden) for _ in range(num_experts))
        self.E, self.k, self.capacity_factor = num_experts, k, capacity_factor

    def route(self, x):
        logits = self.router(x)                                    # [T, E]
        probs = logits.softmax(-1)
        gates, idx = probs.topk(self.k, dim=-1)                    # [T, k]
        gates = gates / gates.sum(-1, keepdim=True)
        T = x.shape[0]
        capacity = int(math.ceil(self.capacity_factor * T * self.k / self.E))
        # position of each (token, choice) in its expert's queue: first choices before second ones
        mask = F.one_hot(idx.t().reshape(-1), self.E)              # [k*T, E], choice-major
        position = (mask.cumsum(0) - 1) * mask
        position = position.sum(-1).view(self.k, T).t()            # [T, k]
        keep = position < capacity
        aux = self.load_balancing_loss(probs, idx[:, 0])
        z_loss = torch.logsumexp(logits, dim=-1).pow(2).mean()
        return logits, gates * keep, idx, position, keep, capacity, aux, z_loss

    def load_balancing_loss(self, probs, top1):
        frac_tokens = F.one_hot(top1, self.E).float().mean(0)      # f_i
        frac_probs = probs.mean(0)                                 # P_i
        return self.E * (frac_tokens * frac_probs).sum()

    def forward_loop(self, x):
        _, gates, idx, _, keep, _, aux, z = self.route(x)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            token, slot = torch.nonzero((idx == e) & keep, as_tuple=True)
            if token.numel() == 0:
                continue
            y = expert(x.index_select(0, token))
            out = out.index_add(0, token, y * gates[token, slot].unsqueeze(-1))
        return out, aux, z

    def forward_dense(self, x):
        _, gates, idx, position, keep, capacity, aux, z = self.route(x)
        T = x.shape[0]
        # combine[t, e, c] = gate if token t sits in slot c of expert e
        pos = position.clamp(max=capacity - 1)
        combine = torch.zeros(T, self.E, capacity)
        for j in range(self.k):
            combine = combine + (gates[:, j, None, None]
                                 * F.one_hot(idx[:, j], self.E).unsqueeze(-1)
                                 * F.one_hot(pos[:, j], capacity).unsqueeze(1)
                                 * keep[:, j, None, None])
        dispatch = combine > 0
        expert_in = torch.einsum("tec,td->ecd", dispatch.float(), x)          # [E, C, d]
        W1 = torch.stack([e.w1.weight for e in self.experts])                 # [E, H, d]
        b1 = torch.stack([e.w1.bias for e in self.experts])
        W2 = torch.stack([e.w2.weight for e in self.experts])
        b2 = torch.stack([e.w2.bias for e in self.experts])
        h = F.gelu(torch.einsum("ecd,ehd->ech", expert_in, W1) + b1.unsqueeze(1))
        expert_out = torch.bmm(h, W2.transpose(1, 2)) + b2.unsqueeze(1)      # [E, C, d]
        return torch.einsum("tec,ecd->td", combine, expert_out), aux, z


moe = SwitchMoE()
x = torch.randn(12, 8)
logits, gates, idx, position, keep, capacity, aux, z = moe.route(x)
print("capacity", capacity, "gates", gates.shape, "idx", idx.dtype)
print("top-k experts", idx.tolist())
print("queue positions", position.tolist())
print("kept", keep.sum().item(), "of", keep.numel(), "dropped tokens", (~keep).nonzero().tolist())
print("gate rows sum to one", torch.allclose(gates.sum(-1), torch.ones(12)))
print("first-choice load", torch.bincount(idx[:, 0], minlength=4).tolist(),
      "all choices", torch.bincount(idx.flatten(), minlength=4).tolist())
print(f"aux loss {aux.item():.5f} z-loss {z.item():.5f}")

y_loop, _, _ = moe.forward_loop(x)
y_dense, _, _ = moe.forward_dense(x)
print("loop vs dense dispatch agree", torch.allclose(y_loop, y_dense, atol=1e-6))
print("output", y_loop[:2])

# gradients reach the router through the gates and through the auxiliary loss, and both paths agree
(y_loop.pow(2).sum() + 0.01 * aux).backward()
g_loop = [p.grad.clone() for p in moe.parameters()]
moe.zero_grad()
y_dense, aux_d, _ = moe.forward_dense(x)
(y_dense.pow(2).sum() + 0.01 * aux_d).backward()
print("gradients agree", all(torch.allclose(a, b.grad, atol=1e-5) for a, b in zip(g_loop, moe.parameters())))
print("router grad norm", f"{moe.router.weight.grad.norm().item():.5f}")
unused = [i for i, e in enumerate(moe.experts) if e.w1.weight.grad.abs().sum() == 0]
print("experts without gradient", unused)
moe.zero_grad()


# ---- noisy top-k gating (Shazeer et al. 2017) --------------------------------------------------
class NoisyTopKGate(nn.Module):
    def __init__(self, d, num_experts, k):
        super().__init__()
        self.w_gate = nn.Parameter(torch.zeros(d, num_experts))
        self.w_noise = nn.Parameter(torch.zeros(d, num_experts))
        self.k = k
        self.normal = Normal(torch.tensor([0.0]), torch.tensor([1.0]))

    def forward(self, x):
        clean = x @ self.w_gate
        noise_std = F.softplus(x @ self.w_noise) + 1e-2
        noisy = clean + torch.randn_like(clean) * noise_std if self.training else clean
        top_logits, top_idx = noisy.topk(min(self.k + 1, noisy.shape[1]), dim=1)
        gates = torch.zeros_like(noisy).scatter(1, top_idx[:, :self.k], top_logits[:, :self.k].softmax(1))
        # probability that each expert would still be in the top k under fresh noise
        threshold_in = top_logits[:, self.k:self.k + 1]
        threshold_out = top_logits[:, self.k - 1:self.k]
        is_in = noisy > threshold_in
        prob_in = self.normal.cdf((clean - threshold_in) / noise_std)
        prob_out = self.normal.cdf((clean - threshold_out) / noise_std)
        load = torch.where(is_in, prob_in, prob_out).sum(0)
        importance = gates.sum(0)
        cv2 = lambda v: v.var() / (v.mean() ** 2 + 1e-10)
        return gates, load, cv2(importance) + cv2(load)


torch.manual_seed(1)
gate = NoisyTopKGate(8, 4, 2)
nn.init.normal_(gate.w_gate, std=0.5)
nn.init.normal_(gate.w_noise, std=0.1)
g, load, balance = gate(x)
print("noisy gates nonzero per row", (g > 0).sum(1).tolist())
print("load estimate", load)
print(f"balance loss {balance.item():.5f}")
balance.backward()
print("w_noise grad norm", f"{gate.w_noise.grad.norm().item():.6f}", "dtype", gate.w_noise.grad.dtype)
gate.eval()
g_eval, _, _ = gate(x)
print("eval gates (no noise)", g_eval[:3])

# ---- training: each cluster of inputs wants a different map ------------------------------------
torch.manual_seed(2)
centers = torch.randn(4, 8) * 3
maps = torch.randn(4, 8, 8) / math.sqrt(8)


def batch(n):
    c = torch.randint(0, 4, (n,))
    inp = centers[c] + 0.3 * torch.randn(n, 8)
    tgt = torch.einsum("nij,nj->ni", maps[c], inp)
    return inp, tgt, c


model = SwitchMoE(d=8, hidden=32, num_experts=4, k=1, capacity_factor=2.0)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(80):
    inp, tgt, c = batch(64)
    out, aux, z = model.forward_loop(inp)
    mse = F.mse_loss(out, tgt)
    loss = mse + 0.01 * aux + 1e-3 * z
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 20 == 0 or step == 79:
        print(f"step {step:2d} mse {mse.item():.4f} aux {aux.item():.4f} z {z.item():.4f}")

with torch.no_grad():
    inp, tgt, c = batch(200)
    top1 = model.router(inp).argmax(-1)
    table = torch.zeros(4, 4, dtype=torch.long)
    table.index_put_((c, top1), torch.ones_like(c), accumulate=True)
    print("cluster x expert routing table")
    print(table)
    purity = table.max(1).values.sum().item() / 200
    print(f"routing purity {purity:.3f}")
    out, _, _ = model.forward_dense(inp)
    print(f"held-out mse {F.mse_loss(out, tgt).item():.4f}")
