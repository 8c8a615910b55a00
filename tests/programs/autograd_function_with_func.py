"""Custom autograd.Functions as the torch.func docs write them: forward without ctx plus setup_context,
save_for_forward and jvp, generate_vmap_rule, and a NumPy sort with its own vmap staticmethod;
under grad, grad(grad), vmap, vmap(grad), jacrev, jvp and jacfwd.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
from torch.func import grad, vmap, jacrev, jvp, jacfwd
import numpy as np

torch.manual_seed(0)


class MyCube(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        result = x ** 3
        dx = 3 * x ** 2
        return result, dx

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, = inputs
        result, dx = output
        ctx.save_for_backward(x, dx)
        ctx.save_for_forward(x, dx)

    @staticmethod
    def backward(ctx, grad_output, grad_dx):
        x, dx = ctx.saved_tensors
        return grad_output * dx + grad_dx * 6 * x

    @staticmethod
    def jvp(ctx, x_t):
        x, dx = ctx.saved_tensors
        return dx * x_t, 6 * x * x_t


def my_cube(x):
    result, _ = MyCube.apply(x)
    return result


x = torch.randn([])
print(f"{grad(my_cube)(x).item():.5f} {(3 * x ** 2).item():.5f}")
print(f"{grad(grad(my_cube))(x).item():.5f} {(6 * x).item():.5f}")
xs = torch.randn(4)
print(torch.allclose(vmap(my_cube)(xs), xs ** 3))
print(torch.allclose(vmap(grad(my_cube))(xs), 3 * xs ** 2))
print(torch.allclose(jacrev(my_cube)(xs), torch.diag(3 * xs ** 2)))
print(torch.allclose(jvp(my_cube, (xs,), (torch.ones(4),))[1], 3 * xs ** 2))
print(torch.allclose(jacfwd(my_cube)(xs), torch.diag(3 * xs ** 2)))


class NumpySort(torch.autograd.Function):
    @staticmethod
    def forward(x, dim):
        device = x.device
        x = x.cpu().numpy()
        ind = np.argsort(x, axis=dim)
        ind_inv = np.argsort(ind, axis=dim)
        result = np.take_along_axis(x, ind, axis=dim)
        return (torch.tensor(result, device=device), torch.tensor(ind, device=device),
                torch.tensor(ind_inv, device=device))

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, dim = inputs
        _, ind, ind_inv = output
        ctx.mark_non_differentiable(ind, ind_inv)
        ctx.save_for_backward(ind, ind_inv)
        ctx.dim = dim

    @staticmethod
    def backward(ctx, grad_output, _0, _1):
        ind, ind_inv = ctx.saved_tensors
        return NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim), None

    @staticmethod
    def vmap(info, in_dims, x, dim):
        x_bdim, _ = in_dims
        x = x.movedim(x_bdim, 0)
        dim = dim if dim >= 0 else dim + x.dim() - 1
        return NumpySort.apply(x, dim + 1), (0, 0, 0)


class NumpyTake(torch.autograd.Function):
    @staticmethod
    def forward(x, ind, ind_inv, dim):
        device = x.device
        x = x.cpu().numpy()
        ind = ind.cpu().numpy()
        return torch.tensor(np.take_along_axis(x, ind, dim), device=device)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ind, ind_inv, dim = inputs
        ctx.save_for_backward(ind, ind_inv)
        ctx.dim = dim

    @staticmethod
    def backward(ctx, grad_output):
        ind, ind_inv = ctx.saved_tensors
        result = NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim)
        return result, None, None, None

    @staticmethod
    def vmap(info, in_dims, x, ind, ind_inv, dim):
        x_bdim, ind_bdim, ind_inv_bdim, _ = in_dims
        logical_dim = x.dim() if x_bdim is None else x_bdim - 1
        dim = dim if dim >= 0 else dim + logical_dim

        def maybe_expand_bdim_at_front(x, x_bdim):
            if x_bdim is None:
                return x.expand(info.batch_size, *x.shape)
            return x.movedim(x_bdim, 0)

        x = maybe_expand_bdim_at_front(x, x_bdim)
        ind = maybe_expand_bdim_at_front(ind, ind_bdim)
        ind_inv = maybe_expand_bdim_at_front(ind_inv, ind_inv_bdim)
        return NumpyTake.apply(x, ind, ind_inv, dim + 1), 0


def numpy_sort(x, dim=-1):
    result, _, _ = NumpySort.apply(x, dim)
    return result


x = torch.randn(2, 3)
result = vmap(numpy_sort)(x)
print(torch.allclose(result, numpy_sort(x, 1)))
g = grad(lambda t: numpy_sort(t).pow(2).sum())(torch.tensor([3.0, 1.0, 2.0]))
print(g)
