"""Forward-mode AD as torch's tutorial teaches it: dual tensors, modules, custom Functions, torch.func.jvp.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn as nn
from torch.func import functional_call, jvp, linearize

torch.manual_seed(0)
primal = torch.randn(10, 10)
tangent = torch.randn(10, 10)


def fn(x, y):
    return x ** 2 + y ** 2


with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    print(fwAD.unpack_dual(dual_input).tangent is tangent)
    dual_input_alt = fwAD.make_dual(primal, tangent.T)
    print(fwAD.unpack_dual(dual_input_alt).tangent is tangent.T)
    plain_tensor = torch.randn(10, 10)
    dual_output = fn(dual_input, plain_tensor)
    jvp_out = fwAD.unpack_dual(dual_output).tangent
    print(type(fwAD.unpack_dual(dual_output)).__name__)
    print(torch.allclose(jvp_out, 2 * primal * tangent))
    p, t = fwAD.unpack_dual(dual_output)
    print(tuple(p.shape), f"{t.sum().item():.4f}")
print(fwAD.unpack_dual(dual_output).tangent)

model = nn.Linear(5, 5)
inp = torch.randn(16, 5)
params = {name: p for name, p in model.named_parameters()}
tangents = {name: torch.rand_like(p) for name, p in params.items()}
with fwAD.dual_level():
    for name, p in params.items():
        delattr(model, name)
        setattr(model, name, fwAD.make_dual(p, tangents[name]))
    out = model(inp)
    jvp_result = fwAD.unpack_dual(out).tangent
print(tuple(jvp_result.shape), f"{jvp_result.sum().item():.4f}")

model2 = nn.Linear(5, 5)
dual_params = {}
with fwAD.dual_level():
    for name, p in model2.named_parameters():
        dual_params[name] = fwAD.make_dual(p, tangents[name])
    out = functional_call(model2, dual_params, inp)
    jvp_result2 = fwAD.unpack_dual(out).tangent
print(f"{jvp_result2.sum().item():.4f}")


class Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO


fn_apply = Fn.apply
x = torch.randn(10, 10, dtype=torch.double, requires_grad=True)
t = torch.randn(10, 10, dtype=torch.double)
with fwAD.dual_level():
    dual_x = fwAD.make_dual(x, t)
    dual_out = fn_apply(dual_x)
    jvp_o = fwAD.unpack_dual(dual_out).tangent
print(torch.allclose(jvp_o, t * torch.exp(x)))
print(torch.autograd.gradcheck(Fn.apply, (x,), check_forward_ad=True, check_backward_ad=False,
                               check_undefined_grad=False, check_batched_grad=False))


class SaveForward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_forward(a, b)
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return ta * b + a * tb


a = torch.randn(4, dtype=torch.double)
b = torch.randn(4, dtype=torch.double)
with fwAD.dual_level():
    out = SaveForward.apply(fwAD.make_dual(a, torch.ones(4, dtype=torch.double)), b)
    print(torch.allclose(fwAD.unpack_dual(out).tangent, b))

x = torch.randn(5)
f = lambda x: x.sin().sum()
value, grad_x = jvp(f, (x,), (torch.ones(5),))
print(f"{value.item():.5f} {grad_x.item():.5f} {x.cos().sum().item():.5f}")
out, jvp_fn = linearize(torch.sin, x)
print(torch.allclose(jvp_fn(torch.ones(5)), x.cos()))
