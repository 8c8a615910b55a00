"""Writing your own torch.optim.Optimizer: a Lion optimizer and an AdaBelief-style optimizer as
subclasses (defaults dict, param_groups, per-parameter self.state, @torch.no_grad() step that takes
an optional closure and re-evaluates it under enable_grad), checked against a hand-written update;
a heavy-ball SGD written with torch._foreach_* list kernels (norm-based clipping, weight decay,
momentum buffers) checked against torch.optim.SGD, and a weight EMA with _foreach_lerp_;
a Lookahead wrapper around an inner optimizer; add_param_group with its own lr; step pre/post hooks
and their handles; state_dict / load_state_dict round trip (packed integer parameter ids, the
state tensors); an SGD-with-closure line search (the closure called several times per step);
zero_grad(set_to_none=False) vs the default; the ValueError messages a bad hyperparameter raises;
and LBFGS with a strong-Wolfe line search on the same problem for comparison.
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import Optimizer

torch.manual_seed(0)


class Lion(Optimizer):
    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                exp_avg = state["exp_avg"]
                p.mul_(1 - group["lr"] * group["weight_decay"])
                update = exp_avg.mul(beta1).add(p.grad, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-group["lr"])
                exp_avg.mul_(beta2).add_(p.grad, alpha=1 - beta2)
        return loss


class AdaBelief(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-16):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                st = self.state[p]
                if not st:
                    st["step"] = torch.tensor(0.0)
                    st["m"] = torch.zeros_like(p)
                    st["s"] = torch.zeros_like(p)
                st["step"] += 1
                t = st["step"].item()
                st["m"].lerp_(g, 1 - b1)
                diff = g - st["m"]
                st["s"].mul_(b2).addcmul_(diff, diff, value=1 - b2).add_(group["eps"])
                bc1 = 1 - b1 ** t
                bc2 = 1 - b2 ** t
                denom = (st["s"].sqrt() / math.sqrt(bc2)).add_(group["eps"])
                p.addcdiv_(st["m"], denom, value=-group["lr"] / bc1)
        return loss


class Lookahead(Optimizer):
    """k fast steps of the inner optimizer, then the slow weights move alpha of the way."""

    def __init__(self, base, k=5, alpha=0.5):
        self.base = base
        self.k = k
        self.alpha = alpha
        self.param_groups = base.param_groups
        self.defaults = base.defaults
        self.state = base.state
        self._slow = [[p.detach().clone() for p in g["params"]] for g in self.param_groups]
        self._count = 0

    def zero_grad(self, set_to_none=True):
        self.base.zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        loss = self.base.step(closure)
        self._count += 1
        if self._count % self.k == 0:
            with torch.no_grad():
                for group, slows in zip(self.param_groups, self._slow):
                    for p, slow in zip(group["params"], slows):
                        slow.add_(p - slow, alpha=self.alpha)
                        p.copy_(slow)
        return loss


class ForeachSGD(Optimizer):
    """Heavy-ball SGD written with the list-at-a-time torch._foreach_* kernels, as fast optimizers are."""

    def __init__(self, params, lr=0.1, momentum=0.9, weight_decay=0.0, max_grad_norm=None):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      max_grad_norm=max_grad_norm))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            if group["max_grad_norm"] is not None:
                norms = torch._foreach_norm(grads)
                total = torch.linalg.vector_norm(torch.stack(norms))
                scale = (group["max_grad_norm"] / (total + 1e-6)).clamp(max=1.0)
                grads = torch._foreach_mul(grads, scale)
            if group["weight_decay"]:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            bufs = []
            for p, g in zip(params, grads):
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.clone(g).detach()
                    bufs.append(None)
                else:
                    bufs.append(state["momentum_buffer"])
            old = [b for b in bufs if b is not None]
            if old:
                torch._foreach_mul_(old, group["momentum"])
                torch._foreach_add_(old, [g for g, b in zip(grads, bufs) if b is not None])
            torch._foreach_add_(params, [self.state[p]["momentum_buffer"] for p in params], alpha=-group["lr"])
        return loss


class WeightEMA:
    """An exponential moving average of a model's weights, updated with _foreach_lerp_."""

    def __init__(self, model, decay=0.9):
        self.decay = decay
        self.shadow = [p.detach().clone() for p in model.parameters()]

    @torch.no_grad()
    def update(self, model):
        torch._foreach_lerp_(self.shadow, [p.detach() for p in model.parameters()], 1 - self.decay)


X = torch.randn(64, 5)
true_w = torch.tensor([[1.5], [-2.0], [0.5], [0.0], [1.0]])
y = (X @ true_w + 0.3 + 0.1 * torch.randn(64, 1) > 0).float()


def fresh_model():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))


def train(opt_fn, steps=40, use_closure=False):
    model = fresh_model()
    opt = opt_fn(model.parameters())
    for _ in range(steps):
        def closure():
            opt.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(X), y)
            loss.backward()
            return loss
        if use_closure:
            loss = opt.step(closure)
        else:
            loss = closure()
            opt.step()
    return model, opt, loss


# ---- Lion against a hand-written update ----------------------------------------------------------
w = torch.randn(3, requires_grad=True)
w_ref = w.detach().clone()
m_ref = torch.zeros(3)
lion = Lion([w], lr=0.1, weight_decay=0.01)
for i in range(3):
    g = torch.tensor([0.5, -1.0, 0.25]) * (i + 1)
    w.grad = g.clone()
    lion.step()
    w_ref = w_ref * (1 - 0.1 * 0.01) - 0.1 * (0.9 * m_ref + 0.1 * g).sign()
    m_ref = 0.99 * m_ref + 0.01 * g
print("lion matches by hand", torch.allclose(w.detach(), w_ref), w.detach())
print("lion state keys", list(lion.state[w].keys()), lion.state[w]["exp_avg"])
print("lion repr:")
print(lion)

for name, fn, closure in [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.5, momentum=0.9), False),
    ("lion", lambda p: Lion(p, lr=0.02), True),
    ("adabelief", lambda p: AdaBelief(p, lr=0.05), True),
    ("lookahead(adam)", lambda p: Lookahead(torch.optim.Adam(p, lr=0.05), k=5, alpha=0.5), True),
]:
    model, opt, loss = train(fn, use_closure=closure)
    acc = ((model(X) > 0).float() == y).float().mean().item()
    print(f"{name:16s} final loss {loss.item():.5f} acc {acc:.3f} state entries {len(opt.state)}")

# ---- the foreach optimizer against torch.optim.SGD, and an EMA of the weights ---------------------
m_a, m_b = fresh_model(), fresh_model()
o_a = ForeachSGD(m_a.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
o_b = torch.optim.SGD(m_b.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
ema = WeightEMA(m_a, decay=0.8)
for _ in range(10):
    for m, o in ((m_a, o_a), (m_b, o_b)):
        o.zero_grad()
        F.binary_cross_entropy_with_logits(m(X), y).backward()
        o.step()
    ema.update(m_a)
print("foreach SGD matches torch.optim.SGD",
      all(torch.allclose(a, b, atol=1e-6) for a, b in zip(m_a.parameters(), m_b.parameters())))
print("ema distance", [f"{d.item():.5f}" for d in torch._foreach_norm(torch._foreach_sub(ema.shadow, list(m_a.parameters())))])
clipped = fresh_model()
o_c = ForeachSGD(clipped.parameters(), lr=0.1, max_grad_norm=0.05)
F.binary_cross_entropy_with_logits(clipped(X), y).backward()
before = [p.detach().clone() for p in clipped.parameters()]
o_c.step()
moved = torch._foreach_sub([p.detach() for p in clipped.parameters()], before)
print("clipped step size", f"{torch.linalg.vector_norm(torch.stack(torch._foreach_norm(moved))).item():.6f}")
print("foreach max", [f"{v.item():.4f}" for v in torch._foreach_max(torch._foreach_abs(moved))])

# ---- param groups, add_param_group, hooks ------------------------------------------------------
model = fresh_model()
opt = AdaBelief([{"params": model[0].parameters()}], lr=0.01)
opt.add_param_group({"params": model[2].parameters(), "lr": 0.1, "betas": (0.5, 0.9)})
print("groups", len(opt.param_groups), [g["lr"] for g in opt.param_groups], opt.param_groups[1]["betas"],
      opt.param_groups[0]["eps"])
try:
    opt.add_param_group({"params": model[2].weight})
except ValueError as e:
    print("ValueError:", e)
try:
    Lion(model.parameters(), lr=-1.0)
except ValueError as e:
    print("ValueError:", e)

calls = []
pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
for _ in range(2):
    opt.zero_grad()
    F.binary_cross_entropy_with_logits(model(X), y).backward()
    opt.step()
pre.remove()
post.remove()
opt.zero_grad()
F.binary_cross_entropy_with_logits(model(X), y).backward()
opt.step()
print("hook calls", calls)

# ---- state_dict round trip ---------------------------------------------------------------------
sd = opt.state_dict()
print("state_dict keys", list(sd.keys()), "param ids", [g["params"] for g in sd["param_groups"]])
print("state 3 step", sd["state"][3]["step"], "m", sd["state"][3]["m"])
clone = fresh_model()
clone.load_state_dict(model.state_dict())
opt2 = AdaBelief([{"params": clone[0].parameters()}], lr=0.01)
opt2.add_param_group({"params": clone[2].parameters(), "lr": 0.1, "betas": (0.5, 0.9)})
opt2.load_state_dict(copy.deepcopy(sd))
for m, o in ((model, opt), (clone, opt2)):
    o.zero_grad()
    F.binary_cross_entropy_with_logits(m(X), y).backward()
    o.step()
same = all(torch.equal(a, b) for a, b in zip(model.parameters(), clone.parameters()))
print("resumed optimizer identical", same, "step", opt2.state[clone[2].bias]["step"])

# ---- zero_grad flavours ------------------------------------------------------------------------
opt.zero_grad(set_to_none=False)
print("set_to_none=False", model[2].bias.grad)
opt.zero_grad()
print("default", model[2].bias.grad)


# ---- a closure called several times per step: backtracking line search on SGD -------------------
class BacktrackingGD(Optimizer):
    def __init__(self, params, lr=1.0, shrink=0.5, c=1e-4, max_tries=10):
        super().__init__(params, dict(lr=lr, shrink=shrink, c=c, max_tries=max_tries))

    @torch.no_grad()
    def step(self, closure):
        with torch.enable_grad():
            loss = closure()
        group = self.param_groups[0]
        params = [p for p in group["params"] if p.grad is not None]
        grads = [p.grad.clone() for p in params]
        gnorm2 = sum((g * g).sum() for g in grads)
        start = [p.clone() for p in params]
        t = group["lr"]
        for tries in range(group["max_tries"]):
            for p, p0, g in zip(params, start, grads):
                p.copy_(p0 - t * g)
            with torch.enable_grad():
                new_loss = closure()
            if new_loss <= loss - group["c"] * t * gnorm2:
                break
            t *= group["shrink"]
        self.state["last_t"] = t
        self.state["tries"] = tries + 1
        return new_loss


model = fresh_model()
opt = BacktrackingGD(model.parameters(), lr=4.0)
evals = [0]


def closure():
    evals[0] += 1
    opt.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(X), y)
    loss.backward()
    return loss


for step in range(6):
    loss = opt.step(closure)
    print(f"backtracking step {step} loss {loss.item():.5f} t {opt.state['last_t']} tries {opt.state['tries']}")
print("closure evaluations", evals[0])

# ---- LBFGS on the same model -------------------------------------------------------------------
model = fresh_model()
# (max_iter=6: each step stops on its iteration budget, well before the loss is small enough that
# whether a tolerance test passes, and so how many evaluations a step makes, is down to rounding)
lbfgs = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=6, history_size=5, line_search_fn="strong_wolfe")
for outer in range(3):
    def closure():
        lbfgs.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(X), y)
        loss.backward()
        return loss
    loss = lbfgs.step(closure)
    st = lbfgs.state[lbfgs._params[0]]
    print(f"lbfgs outer {outer} loss {loss.item():.5f} func_evals {st['func_evals']} n_iter {st['n_iter']}")
print("lbfgs final", f"{closure().item():.5f}")
