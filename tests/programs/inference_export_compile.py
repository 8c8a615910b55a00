"""Getting a trained model ready for inference: torch.inference_mode, model.eval() + requires_grad_,
torch.compile on a module and on a function, torch.jit.trace and torch.jit.script (not jit.save/load: kittygrad refuses archives that carry code)
through io.BytesIO, state_dict round trip through torch.save with weights_only=True, half precision
conversion, and timing-free sanity checks that every path gives the same predictions.

tolerance: rtol=1e-3 atol=1e-5
"""
import io

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 32)
        self.bn = nn.BatchNorm1d(32)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.bn(self.fc1(x)))))


x = torch.randn(64, 6)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(30):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"trained loss {loss.item():.4f}")

model.eval()
model.requires_grad_(False)
x_test = torch.randn(8, 6)
with torch.inference_mode():
    ref = model(x_test)
    print(ref.requires_grad, torch.is_inference_mode_enabled(), ref.argmax(1))
print(torch.is_inference_mode_enabled(), ref.is_inference())
with torch.no_grad():
    print(torch.allclose(model(x_test), ref), torch.is_grad_enabled())

compiled = torch.compile(model)
print(torch.allclose(compiled(x_test), ref, atol=1e-6))


@torch.compile
def fused_gelu_scale(a, b):
    return F.gelu(a) * b + 1


print(fused_gelu_scale(torch.tensor([0.5, -1.0]), torch.tensor([2.0, 3.0])))
print(f"{torch.compile(lambda t: (t.sin() ** 2 + t.cos() ** 2).sum())(torch.randn(5)).item():.4f}")

traced = torch.jit.trace(model, x_test)
print(torch.allclose(traced(x_test), ref, atol=1e-6))


@torch.jit.script
def clipped_softmax(x: torch.Tensor, lo: float) -> torch.Tensor:
    p = torch.softmax(x, dim=-1)
    return torch.clamp(p, min=lo) / torch.clamp(p, min=lo).sum(dim=-1, keepdim=True)


print(clipped_softmax(torch.tensor([[2.0, 3.0, -1.0], [0.5, 2.5, -3.0]]), 0.05))

buf = io.BytesIO()
torch.save(model.state_dict(), buf)
buf.seek(0)
state = torch.load(buf, weights_only=True)
print(sorted(state.keys()), state["bn.num_batches_tracked"])
fresh = Net()
missing = fresh.load_state_dict(state, strict=True)
print(missing)
fresh.eval()
with torch.no_grad():
    print(torch.equal(fresh(x_test), ref))

half = Net()
half.load_state_dict(state)
half = half.half().eval()
print(half.fc1.weight.dtype, half.bn.running_mean.dtype)
with torch.no_grad():
    out_half = half(x_test.half())
    print(out_half.dtype, (out_half.float() - ref).abs().max().item() < 1e-2, out_half.float().argmax(1))
double = Net()
double.load_state_dict(state)
double = double.to(torch.float64).eval()
with torch.no_grad():
    print(double(x_test.double()).dtype, torch.allclose(double(x_test.double()).float(), ref, atol=1e-5))
