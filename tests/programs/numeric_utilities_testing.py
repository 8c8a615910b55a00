"""Numeric utility idioms: allclose/isclose (equal_nan, rtol/atol), equal, linspace/logspace
(base=, steps=1, integer dtypes), arange with float steps, full/empty_like/zeros_like/ones_like/
full_like/rand_like with dtype, clamp with tensor bounds, where with scalars, type promotion with
Python scalars and 0-dim tensors, result_type/promote_types/can_cast, finfo/iinfo fields,
nan_to_num, signbit/copysign/nextafter, and torch.testing.assert_close passing and failing."""
import math

import torch

torch.manual_seed(0)
a = torch.tensor([1.0, 2.0, float("nan"), float("inf")])
b = torch.tensor([1.0 + 1e-9, 2.001, float("nan"), float("inf")])
print(torch.isclose(a, b), torch.isclose(a, b, equal_nan=True), torch.isclose(a, b, rtol=1e-2))
print(torch.allclose(a[:2], b[:2]), torch.allclose(a, b, equal_nan=True, atol=1e-2), torch.allclose(a, a))
print(torch.equal(a[:2], a[:2].clone()), torch.equal(a, a), torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2])))
print(torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2, 3])), torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3])))

print(torch.linspace(0, 1, 5), torch.linspace(-1, 1, steps=1), torch.linspace(0, 10, 4, dtype=torch.int64))
print(torch.logspace(0, 3, 4), torch.logspace(0, 4, 3, base=2.0), torch.logspace(-1, 1, 3, dtype=torch.float64))
print(torch.arange(0, 1, 0.25), torch.arange(1, 2.5, 0.5), torch.arange(5, 0, -1.5), torch.arange(0.0, 3))
print(torch.arange(10).dtype, torch.arange(1.0, 4).dtype, torch.arange(0, 1, 0.1).shape, torch.arange(-3, 3, 2))

x = torch.randn(2, 3)
print(torch.full((2, 2), 7).dtype, torch.full((2, 2), 7.0).dtype, torch.full((2,), True).dtype, torch.full((1, 3), -1.5))
print(torch.zeros_like(x, dtype=torch.int32), torch.ones_like(x).dtype, torch.full_like(x, 3, dtype=torch.float64))
print(torch.empty_like(x).shape, torch.empty_like(x, dtype=torch.int8).dtype, torch.rand_like(x).shape)
print(torch.zeros(2, 0).shape, torch.ones(()).shape, torch.eye(2, 3), torch.empty(3).dtype)

lo = torch.tensor([-0.5, 0.0, 0.5])
hi = torch.tensor([0.0, 0.5, 1.0])
v = torch.tensor([[-1.0, 0.25, 2.0], [0.1, -0.3, 0.7]])
print(torch.clamp(v, lo, hi), v.clamp(min=lo), v.clamp(max=0.0), v.clip(-0.2, 0.2))
print(torch.where(v > 0, v, 0.0), torch.where(v > 0, 1, -1), torch.where(v > 0, 1.0, 0).dtype)
print(torch.where(v > 0.2))

i = torch.tensor([1, 2, 3])
print((i + 1.5).dtype, (i * 2).dtype, (i / 2).dtype, (i // 2).dtype, (i > 1.5).dtype, (i + True).dtype)
print((i + torch.tensor(1.5)).dtype, (torch.tensor([1.0], dtype=torch.float16) + 1.0).dtype)
print((torch.tensor([1], dtype=torch.int8) + 1000).dtype, (torch.tensor([1], dtype=torch.uint8) + torch.tensor(1)).dtype)
print((torch.tensor([1.0]) + torch.tensor(1.0, dtype=torch.float64)).dtype, (i.float() * torch.tensor([2.0], dtype=torch.float64)).dtype)
print(torch.result_type(i, 1.0), torch.result_type(torch.tensor([1], dtype=torch.int16), 5))
print(torch.promote_types(torch.int32, torch.float16), torch.promote_types(torch.uint8, torch.int8), torch.can_cast(torch.float32, torch.int32), torch.can_cast(torch.int32, torch.float32))

for dt in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
    f = torch.finfo(dt)
    print(dt, f.bits, f.eps, f.max, f.min, f.tiny, f.resolution, f.dtype)
for dt in (torch.int8, torch.uint8, torch.int32, torch.int64):
    ii = torch.iinfo(dt)
    print(dt, ii.bits, ii.min, ii.max, ii.dtype)
print(torch.finfo().eps == torch.finfo(torch.float32).eps, torch.finfo(x.dtype).max > 1e38)

bad = torch.tensor([float("nan"), float("inf"), -float("inf"), 1.5])
print(torch.nan_to_num(bad), torch.nan_to_num(bad, nan=0.0, posinf=1e3, neginf=-1e3), bad.nan_to_num(-1.0))
print(torch.isfinite(bad), torch.isinf(bad), torch.isnan(bad), torch.isposinf(bad), torch.isneginf(bad), torch.isreal(bad))
z = torch.tensor([-0.0, 0.0, -2.0, 3.0])
print(torch.signbit(z), torch.copysign(torch.tensor([1.0, 1.0, 1.0, 1.0]), z), torch.sign(z), torch.sgn(z))
print(torch.nextafter(torch.tensor([1.0]), torch.tensor([2.0])) - 1.0, torch.frexp(torch.tensor([8.0, 0.75])))
print(torch.ldexp(torch.tensor([1.0, 3.0]), torch.tensor([3, -1])), torch.fmod(torch.tensor([-3.0, 3.0]), 2), torch.remainder(torch.tensor([-3.0, 3.0]), 2))
print(math.isclose(torch.tensor(0.1, dtype=torch.float64).item(), 0.1), torch.tensor(0.1).item())

torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
torch.testing.assert_close(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, float("nan")]), equal_nan=True)
torch.testing.assert_close(1.0, 1.0 + 1e-9)
torch.testing.assert_close(torch.tensor([1, 2]), torch.tensor([1, 2]))
print("assert_close passed")
try:
    torch.testing.assert_close(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.5, 3.0]))
except AssertionError as e:
    print(type(e).__name__, str(e).splitlines()[0])
try:
    torch.testing.assert_close(torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64))
except AssertionError as e:
    print(type(e).__name__, "dtype" in str(e))
try:
    torch.testing.assert_close(torch.tensor([1.0]), torch.tensor([1.0, 2.0]))
except AssertionError as e:
    print(type(e).__name__, "shape" in str(e).lower())
torch.testing.assert_close(torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64), check_dtype=False)
torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.1, 2.1]), rtol=0.0, atol=0.2)
print("done")
