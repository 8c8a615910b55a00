# Half-precision inference & numerics: a model cast to float16 / bfloat16, reductions,
# overflow, softmax stability, mixed dtype ops, autocast on CPU, and printing of low-precision tensors.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(12)
x = torch.randn(64, 32)
model = nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.LayerNorm(64), nn.Linear(64, 10))
ref = model(x)
for dt in (torch.float16, torch.bfloat16):
    m = nn.Sequential(*[l for l in model]).to(dt) if False else __import__("copy").deepcopy(model).to(dt)
    with torch.no_grad():
        out = m(x.to(dt))
    err = (out.float() - ref).abs()
    print(dt, "out dtype:", out.dtype, f"max err {err.max().item():.4f} mean err {err.mean().item():.5f}")
    print("  argmax agree:", (out.argmax(1) == ref.argmax(1)).float().mean().item())
    print("  first row:", out[0, :5])
    print("  ln weight dtype:", m[2].weight.dtype, "softmax dtype:", F.softmax(out, -1).dtype, F.softmax(out, -1, dtype=torch.float32).dtype)

h = torch.linspace(-3, 3, 9).half()
print("half vals:", h, h.dtype)
print("half sum/mean/std:", h.sum(), h.mean(), h.std(), h.pow(2).sum())
big = torch.full((1000,), 60.0, dtype=torch.float16)
print("sum of 1000*60 in fp16:", big.sum(), big.sum(dtype=torch.float32), big.cumsum(0)[-3:])
print("overflow:", torch.tensor([60000.0], dtype=torch.float16) * 2, torch.tensor(70000.0).half())
print("underflow:", torch.tensor([1e-8]).half(), torch.tensor([1e-8]).bfloat16())
print("fp16 eps steps:", torch.tensor(1.0, dtype=torch.float16) + torch.tensor(0.0004, dtype=torch.float16))
b = torch.tensor([1.0, 1.00390625, 100.5, 3.14159265, 1e30]).bfloat16()
print("bf16:", b, b.float())
print("mixed promote:", (h + torch.ones(9)).dtype, (h * 2).dtype, (b[:1] + h[:1]).dtype, (h + torch.ones(9, dtype=torch.float64)).dtype)
print("matmul fp16:", (h.view(3, 3) @ h.view(3, 3)), (b[:4].view(2, 2) @ b[:4].view(2, 2)))
print("softmax fp16 stable:", F.softmax(torch.tensor([10000.0, 10001.0, 9999.0], dtype=torch.float16), 0))
print("log_softmax fp16:", F.log_softmax(torch.tensor([1.0, 2.0, 3.0]).half(), 0))
print("exp/log fp16:", h.exp(), h.abs().log1p())
print("tanh/sigmoid bf16:", torch.tanh(b[:3]), torch.sigmoid(b[:3]))
print("argmax/topk fp16:", h.argmax(), h.topk(2))
print("to int:", h.long(), h.int().dtype, b.to(torch.int64))
print("round-trip fp32->fp16->fp32:", torch.tensor([0.1, 0.2, 0.3]).half().float())
print("isinf/isnan:", torch.tensor([65504.0, 65520.0]).half().isinf(), (torch.tensor([0.0]).half() / 0).isnan())
print("mean keeps dtype:", h.view(3, 3).mean(0), h.view(3, 3).mean(0).dtype, h.norm(), h.var())
print("amax/amin bf16:", b.amax(), b.amin(), b.sort().values)
print("clamp fp16:", h.clamp(-1, 1), "where:", torch.where(h > 0, h, torch.zeros_like(h)))
with torch.autocast("cpu", dtype=torch.bfloat16):
    y = model(x)
    z = F.softmax(y, -1)
    print("autocast:", y.dtype, z.dtype, (x @ x.T).dtype, (x + 1).dtype, torch.mm(x, x.T).dtype)
    print("autocast loss dtype:", F.cross_entropy(y, torch.zeros(64, dtype=torch.long)).dtype, y.float().sum().dtype)
print("outside autocast:", model(x).dtype)
print("bf16 autocast logits row0:", y[0, :4])
t = torch.arange(6, dtype=torch.float16).view(2, 3)
print(t, t.T, t.tolist(), t[1, 2].item(), type(t[1, 2].item()).__name__)
print(f"{t[0, 1].item():.3f}", repr(torch.tensor(3.5, dtype=torch.bfloat16)), torch.tensor([2.5e-5], dtype=torch.float16))
