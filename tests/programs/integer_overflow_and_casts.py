"""Integer semantics and conversions that preprocessing and quantisation code trips over:
wrap-around of int8/uint8/int16/int32 arithmetic (add, mul, neg, sum with a dtype, cumsum),
uint8 image maths done wrong and right, float->int truncation toward zero and saturation-free
casts of in-range values, .to/.type/.type_as/.long()/.int()/.short()/.char()/.byte()/.half()/
.bool()/.double() and .type() with a string, torch.div rounding modes, // and % on negative ints
and floats, bitwise ops and shifts on signed small ints, comparisons returning bool, sums of bools,
mean of an int tensor (the error), torch.tensor of mixed Python lists and dtype inference from
Python scalars, set_default_dtype, iinfo/finfo."""
import torch

i8 = torch.tensor([100, 120, -100, -128, 127], dtype=torch.int8)
print(i8 + 10, i8 * 2, -i8, i8 - 50, (i8 + 10).dtype)
print(i8.sum(), i8.sum().dtype, i8.cumsum(0), i8.cumsum(0, dtype=torch.int8))
u8 = torch.tensor([0, 5, 200, 255], dtype=torch.uint8)
print(u8 + 100, u8 - 10, u8 * 3, u8 // 3, u8 % 7, u8.neg())
print(u8.sum(), u8.prod(dtype=torch.int64), u8.max(), u8.float().mean(), u8.double().std())
img = torch.tensor([[10, 250], [128, 3]], dtype=torch.uint8)
print(img + img, (img.int() + img.int()).clamp(0, 255).to(torch.uint8), img.float() / 255)
print((img.float() * 1.2).round().clamp(0, 255).byte(), 255 - img, img.to(torch.int16) - 200)
i16 = torch.tensor([30000, -30000, 32767], dtype=torch.int16)
print(i16 + 5000, i16 * 2, i16.abs(), i16.to(torch.int8))
i32 = torch.tensor([2**31 - 1, -2**31, 123456789], dtype=torch.int32)
print(i32 + 1, i32 - 1, i32 * 20, i32.long() * 20, torch.tensor([2**62], dtype=torch.int64) * 4)
print(torch.tensor([46341], dtype=torch.int32) ** 2, torch.tensor([3], dtype=torch.int8) ** 5, torch.tensor(2**40).int())

f = torch.tensor([-3.99, -3.5, -0.7, -0.0, 0.2, 2.5, 3.999, 1e5])
print(f.long(), f.int(), f[:7].short(), f.to(torch.int32), f.trunc(), f.type(torch.int32))
print(f[:7].char(), f[4:7].byte(), f.bool(), f.half(), f.double().dtype)
print(f.type("torch.LongTensor"), f.type("torch.DoubleTensor").dtype, f.type(), f.long().type(), f.bool().type())
ref_int = torch.tensor([1, 2], dtype=torch.int16)
print(f.type_as(ref_int), f.type_as(ref_int).dtype, ref_int.type_as(f), ref_int.type_as(torch.ones(1, dtype=torch.float64)).dtype)
print(f.to(torch.int64).to(torch.float32), torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5]).round(), torch.tensor([2.5, -2.5]).long())
print(f.to(ref_int), f.to(dtype=torch.uint8, copy=True)[4:7], f.to(torch.float32) is f, f.to(torch.float32, copy=True) is f)

a = torch.tensor([-7, -6, -1, 0, 1, 6, 7])
print(torch.div(a, 4, rounding_mode="trunc"), torch.div(a, 4, rounding_mode="floor"), torch.div(a, 4), torch.div(a, 4).dtype)
print(a // 4, a % 4, a // -4, a % -4, torch.fmod(a, 4), torch.remainder(a, -4), torch.floor_divide(a, torch.tensor(-3)))
af = a.float() + 0.5
print(af // 2, af % 2, af // -2, af % -2, torch.fmod(af, -2), torch.div(af, -2, rounding_mode="trunc"))
print(torch.tensor(-7.0) // 0.0, torch.tensor(7.0) % 0.0, torch.tensor([1.0, -1.0, 0.0]) / 0)
try:
    torch.tensor([1, 2]) // torch.tensor([0, 1])
except RuntimeError as e:
    print("RuntimeError:", e)
try:
    torch.tensor([5]) % 0
except RuntimeError as e:
    print("RuntimeError:", e)

s = torch.tensor([-8, -1, 5, 127], dtype=torch.int8)
print(s & 0x0F, s | 0x10, s ^ -1, ~s, s >> 1, s << 1, s << 4, (s >> 7).tolist())
print(torch.bitwise_and(s, torch.tensor(3, dtype=torch.int8)), torch.bitwise_or(u8, 1), torch.bitwise_xor(u8, u8 >> 1))
print(torch.bitwise_not(u8), torch.bitwise_left_shift(torch.tensor([1, 3]), torch.tensor([4, 62])), u8 >> 2, u8 << 1)
flags = torch.tensor([0b1010, 0b0110, 0b1111])
print([(flags >> k) & 1 for k in range(4)], ((flags & 0b0100) != 0), torch.tensor([True, False]) | torch.tensor([False, False]))

x = torch.tensor([1, 5, 3, 8])
y = torch.tensor([2.0, 5.0, 1.0, 8.5])
c = x > y
print(c, c.dtype, x == y, x.eq(5), x.ne(y).sum(), (x >= 3) & (x < 8), torch.gt(x, 2), x.lt(y).any(), x.le(8).all())
print(c.sum(), c.sum().dtype, c.float().mean(), c.long().cumsum(0), c.int().dtype, c.to(torch.float16), (~c).nonzero().flatten())
print(torch.count_nonzero(c), c.any().item(), torch.where(c)[0], x[c], torch.masked_select(y, c))
for bad in (lambda: x.mean(), lambda: torch.mean(torch.tensor([True, False]))):
    try:
        bad()
    except RuntimeError as e:
        print("RuntimeError:", str(e).split("\n")[0])
for bad in (lambda: x.std(), lambda: u8.var()):
    try:
        bad()
    except RuntimeError as e:
        print(type(e).__name__, "std and var only support floating point" in str(e))
print(x.float().mean(), x.mean(dtype=torch.float64), x.double().var(), x.median(), x.sum() / len(x))

mixed = [
    [1, 2, 3], [1, 2.0, 3], [True, False], [True, 2], [True, 2.5], [[1, 2], [3, 4]], [[1.5], [2]], [],
    [0.1, 1e10], 3, 3.0, True, -0.0, 2**40,
]
for m in mixed:
    t = torch.tensor(m)
    print(repr(m), t, t.dtype, tuple(t.shape))
print(torch.tensor([1, 2]) * 1.5, (torch.tensor([1, 2]) + True).dtype, torch.tensor(5) / 2, torch.tensor(5) * torch.tensor(2.0))
print(torch.tensor([1, 2], dtype=torch.float16), torch.tensor(3.7, dtype=torch.int64), torch.tensor([2.9, -2.9], dtype=torch.int32))
print(torch.as_tensor([1, 2]).dtype, torch.as_tensor(2.5).dtype, torch.as_tensor([True]).dtype, torch.full((2,), 2**31).dtype)
print(torch.zeros(2, dtype=torch.int8).dtype, torch.ones(2).long().dtype, torch.arange(3, dtype=torch.uint8) - 1)
torch.set_default_dtype(torch.float64)
print(torch.tensor([1.0]).dtype, torch.tensor([1]).dtype, torch.ones(1).dtype, torch.arange(0.0, 1.0, 0.5).dtype, torch.get_default_dtype())
print((torch.tensor([1, 2]) / 2).dtype, (torch.tensor([1, 2]) * 0.5).dtype, torch.tensor(1.5) + torch.tensor([1], dtype=torch.float32))
torch.set_default_dtype(torch.float32)
print(torch.tensor([1.0]).dtype, torch.get_default_dtype())
for dt in (torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64):
    info = torch.iinfo(dt)
    print(dt, info.min, info.max, info.bits)
for dt in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
    info = torch.finfo(dt)
    print(dt, info.bits, info.eps, info.max, info.tiny, info.resolution)
print(torch.tensor(torch.iinfo(torch.int32).max, dtype=torch.int32) + 1, torch.tensor(65504.0, dtype=torch.float16) * 2)
