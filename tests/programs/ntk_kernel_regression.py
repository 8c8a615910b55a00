"""Empirical NTK of a small MLP and a small CNN used as a kernel: per-sample Jacobians with
vmap(jacrev) over a parameter dict and with vmap(jacfwd), the same kernel from vjp/jvp products,
kernel ridge regression with torch.linalg.solve and the linearized-network prediction.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, jacfwd, jacrev, jvp, vjp, vmap

torch.manual_seed(0)


class MLP(nn.Module):
    def __init__(self, d_in=4, width=16, d_out=2):
        super().__init__()
        self.fc1 = nn.Linear(d_in, width)
        self.fc2 = nn.Linear(width, width)
        self.out = nn.Linear(width, d_out)

    def forward(self, x):
        x = torch.tanh(self.fc1(x))
        x = F.gelu(self.fc2(x))
        return self.out(x)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.head = nn.Linear(6 * 2 * 2, 3)

    def forward(self, x):
        x = F.softplus(self.conv1(x))
        x = F.max_pool2d(x, 2)
        x = F.silu(self.conv2(x))
        return self.head(x.flatten(1))


def make_fnet_single(model):
    def fnet_single(params, x):
        return functional_call(model, params, (x.unsqueeze(0),)).squeeze(0)
    return fnet_single


def ntk_from_jacobians(jac_fn, fnet_single, params, x1, x2):
    j1 = vmap(jac_fn(fnet_single), (None, 0))(params, x1)
    j2 = vmap(jac_fn(fnet_single), (None, 0))(params, x2)
    blocks = [torch.einsum("Naf,Mbf->NMab", a.flatten(2), b.flatten(2))
              for a, b in zip(j1.values(), j2.values())]
    return torch.stack(blocks).sum(0)


def ntk_from_products(fnet_single, params, x1, x2):
    def one_pair(a, b):
        out, vjp_fn = vjp(lambda p: fnet_single(p, a), params)

        def column(v):
            (cot,) = vjp_fn(v)
            return jvp(lambda p: fnet_single(p, b), (params,), (cot,))[1]

        return vmap(column)(torch.eye(out.numel()))

    return vmap(vmap(one_pair, (None, 0)), (0, None))(x1, x2)


for name, model, x_train, x_test in (
    ("mlp", MLP(), torch.randn(10, 4), torch.randn(5, 4)),
    ("cnn", SmallCNN(), torch.randn(6, 1, 8, 8), torch.randn(3, 1, 8, 8)),
):
    params = {k: v.detach() for k, v in model.named_parameters()}
    fnet = make_fnet_single(model)
    k_rev = ntk_from_jacobians(jacrev, fnet, params, x_train, x_test)
    k_fwd = ntk_from_jacobians(jacfwd, fnet, params, x_train, x_test)
    k_prod = ntk_from_products(fnet, params, x_train, x_test)
    print(name, tuple(k_rev.shape), f"{k_rev.sum().item():.4f}", f"{k_rev.abs().max().item():.4f}")
    print(name, "jacfwd agrees", torch.allclose(k_rev, k_fwd, atol=1e-4, rtol=1e-4))
    print(name, "vjp/jvp agrees", torch.allclose(k_rev, k_prod, atol=1e-4, rtol=1e-4))
    trace = torch.einsum("NMaa->NM", k_rev)
    print(name, "trace row sums", [round(v, 4) for v in trace.sum(1).tolist()])

    # kernel ridge regression with the train-train NTK (the output-averaged kernel)
    k_tt = ntk_from_jacobians(jacrev, fnet, params, x_train, x_train).diagonal(dim1=2, dim2=3).mean(-1)
    sym = (k_tt - k_tt.T).abs().max().item()
    print(name, "train kernel", tuple(k_tt.shape), "symmetric", sym < 1e-4)
    eig = torch.linalg.eigvalsh(k_tt.double())
    print(name, "smallest eigenvalue positive", bool(eig.min() > -1e-6), f"{eig.max().item():.4f}")
    y_train = torch.sin(x_train.flatten(1).sum(1, keepdim=True))
    alpha = torch.linalg.solve(k_tt + 0.1 * torch.eye(len(x_train)), y_train)
    k_st = trace.T / k_rev.shape[-1]
    pred = k_st @ alpha
    print(name, "kernel prediction", [round(v, 4) for v in pred.flatten().tolist()])

    # the first-order Taylor expansion of the network in its parameters, evaluated with jvp
    delta = {k: 1e-3 * torch.randn_like(v) for k, v in params.items()}
    f0, df = vmap(lambda x: jvp(lambda p: fnet(p, x), (params,), (delta,)), in_dims=0)(x_test)
    moved = {k: params[k] + delta[k] for k in params}
    f1 = vmap(fnet, in_dims=(None, 0))(moved, x_test)
    err = (f1 - (f0 + df)).abs().max().item()
    print(name, "second-order remainder", err < 0.1 * df.abs().max().item(), tuple(df.shape), f"{df.norm().item():.5f}")
