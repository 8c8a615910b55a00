"""Type promotion and integer arithmetic as real preprocessing code meets them: int/float/bool
mixes with tensors and Python scalars, 0-d tensors vs dimensioned ones, comparisons, floor
division and remainder with negatives, torch.div rounding modes, fmod, integer pow, bitwise and
shift ops, casts with .to/.type/.long/.half (truncation toward zero), tolist/item types,
result_type/promote_types/can_cast, and in-place ops that must keep the destination dtype."""
import torch

i = torch.tensor([1, 2, 3])
f = torch.tensor([0.5, 1.5, 2.5])
b = torch.tensor([True, False, True])
h = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float16)
d = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
i32 = torch.tensor([1, 2, 3], dtype=torch.int32)
u8 = torch.tensor([250, 3, 7], dtype=torch.uint8)
print((i + f).dtype, (i * 2).dtype, (i * 2.0).dtype, (i / 2).dtype, (i // 2).dtype, (b + b).dtype)
print((b + 1).dtype, (b * 1.5).dtype, (b & b).dtype, (i + True).dtype, (h + 1.0).dtype, (h + f).dtype)
print((h + d).dtype, (i32 + i).dtype, (i32 + 1).dtype, (i32 * 1.0).dtype, (u8 + 1).dtype, (u8 + i32).dtype)
print((i + torch.tensor(1.0)).dtype, (f + torch.tensor(1.0, dtype=torch.float64)).dtype, (h + torch.tensor(2.0)).dtype)
print((i32 + torch.tensor(5)).dtype, (u8 + torch.tensor(5)).dtype, (b + torch.tensor(5)).dtype, (i + torch.tensor(True)).dtype)
print((torch.tensor(2) * torch.tensor(2.0, dtype=torch.float64)).dtype, (i ** 2).dtype, (i ** 0.5).dtype, (2 ** i).dtype)
print((i > 1.5), (i == f), (b == 1), (i != 2).dtype, (f >= 1.5).sum(), (i > 1).float().mean())
print(torch.result_type(i, 1.0), torch.result_type(i32, i), torch.result_type(h, 2), torch.promote_types(torch.int32, torch.float16))
print(torch.promote_types(torch.uint8, torch.int8), torch.promote_types(torch.bool, torch.int16), torch.can_cast(torch.float32, torch.int32), torch.can_cast(torch.int32, torch.float32))
print(u8 + 10, u8 * 2, u8 - 8)

a = torch.tensor([7, -7, 7, -7, 0, 5])
n = torch.tensor([2, 2, -2, -2, 3, -5])
print(a // n, a % n, torch.remainder(a, n), torch.fmod(a, n))
print(torch.div(a, n), torch.div(a, n, rounding_mode="floor"), torch.div(a, n, rounding_mode="trunc"))
print(a // 3, a % 3, -a % 4, a.fmod(3), torch.div(a, 4, rounding_mode="trunc"), torch.floor_divide(a, 2))
af = torch.tensor([7.5, -7.5, 3.0, -0.5])
print(af // 2, af % 2, torch.fmod(af, 2), torch.remainder(af, -2), torch.div(af, 2, rounding_mode="trunc"), af // -2.0)
print(torch.tensor(-7) // 2, torch.tensor(-7) % 2, (torch.tensor(-7) / 2).item(), -7 // torch.tensor(2), 7 % torch.tensor(-3))
print(torch.tensor([2, 3, 4]) ** 2, torch.tensor([2, 3]).pow(torch.tensor([3, 2])), torch.pow(2, torch.tensor([0, 5, 10])))
print(torch.tensor([5, 12]) & 6, torch.tensor([5, 12]) | 3, torch.tensor([5, 12]) ^ 7, ~torch.tensor([0, 5]), ~b)
print(torch.tensor([1, 8]) << 2, torch.tensor([64, -64]) >> 3, torch.bitwise_and(torch.tensor([12]), torch.tensor([10])), b ^ True)
print(torch.tensor([3, -3]).abs(), torch.tensor([-4, 9]).sign(), torch.tensor([-2.5, 0.0, 3.0]).sign(), torch.tensor([3, -3]).neg())
print(torch.tensor([1, 2, 3]).sum().dtype, i32.sum().dtype, b.sum(), b.sum().dtype, u8.sum(), h.sum().dtype, i32.prod().dtype)
print(i.float().mean(), i.cumsum(0).dtype, b.cumsum(0), i32.cumprod(0).dtype, u8.max(), b.any(), i.argmax().dtype)

x = torch.tensor([-2.7, -0.5, 0.5, 1.9, 2.5, 3.5])
print(x.long(), x.int(), x.to(torch.int16), x.round(), x.round(decimals=1), torch.round(torch.tensor([0.125, 1.255]), decimals=2))
print(x.floor(), x.ceil(), x.trunc(), x.frac(), x.to(torch.bool), torch.tensor([0.0, -0.0, 0.1]).bool())
print(x.half(), x.double(), x.to(dtype=torch.float64).dtype, x.type(torch.int64), x.type(), i.type(), b.type(), h.type())
print(x.to(i), i.to(x).dtype, i.to(torch.float32, copy=True).dtype, x.to("cpu").dtype, x.to("cpu", torch.float16).dtype)
print(torch.tensor([300, -1, 256]).to(torch.uint8), torch.tensor(70000.0).half(), torch.tensor([1e-8]).half(), torch.tensor(1 / 3).half().item())
print(i.tolist(), type(i.tolist()[0]).__name__, f.tolist(), type(f[0].item()).__name__, b.tolist(), type(b[0].item()).__name__)
print(h.tolist(), d[1].item(), type(i32.sum().item()).__name__, float(torch.tensor(2)), int(torch.tensor(3.9)), bool(torch.tensor(0.0)))
print(torch.tensor(2.5).item() == 2.5, i[1] + 0.5, int(i[2]) * 3, len(i), i.numel(), i.element_size(), h.element_size(), d.nbytes)

y = torch.zeros(3, dtype=torch.long)
y += 2
y *= 3
print(y, y.dtype)
for bad in [lambda: y.add_(0.5), lambda: b - b, lambda: 1 - b, lambda: bool(torch.tensor([])), lambda: bool(i)]:
    try:
        bad()
    except RuntimeError as e:
        print("RuntimeError:", str(e).split("\n")[0])
z = torch.zeros(3)
z += torch.tensor([1, 2, 3])
z.add_(True)
print(z, z.dtype)
k = torch.tensor([1, 2, 3], dtype=torch.int32)
k.mul_(2)
k.add_(torch.tensor([1, 1, 1]))
print(k, k.dtype, k.div(2).dtype, k.true_divide(2), k.floor_divide_(2), k.dtype)
print(torch.arange(5).dtype, torch.arange(5.0).dtype, torch.arange(0, 1, 0.25), torch.arange(1, 4, dtype=torch.float64))
print(torch.full((2,), 7).dtype, torch.full((2,), 7.0).dtype, torch.full((2,), True).dtype, torch.zeros_like(i, dtype=torch.float16))
print(torch.tensor([1, 2.0]).dtype, torch.tensor([True, 2]).dtype, torch.tensor([[1], [2]]).dtype, torch.as_tensor([1, 2], dtype=torch.float32))
print(torch.linspace(0, 10, 5, dtype=torch.int64), torch.randint(0, 10, (3,)).dtype, torch.ones(2, dtype=torch.bool) * 3)
print(torch.clamp(i, 1.5, 2.5), torch.clamp(i, min=2), torch.maximum(i, i32).dtype, torch.minimum(f, d).dtype, torch.where(b, i, f).dtype)
print(torch.where(b, i, 0).dtype, torch.where(b, 1.0, 0).dtype, torch.where(b, i32, 2).dtype, torch.where(b, h, 2.0).dtype)
print(torch.mean(f, dtype=torch.float64).dtype, torch.sum(i, dtype=torch.float32), torch.cumsum(b, 0, dtype=torch.int32).dtype)
print(torch.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0 + 1e-9, 2.1])), torch.allclose(i.float(), f + 0.5, atol=0.6), torch.equal(i, i32))
