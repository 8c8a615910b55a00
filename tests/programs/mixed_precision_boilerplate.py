"""The mixed-precision boilerplate of training scripts: autocast and GradScaler, enabled only on
CUDA (so on a CPU machine they are switched off, as these scripts intend)."""
import torch
import torch.nn as nn

device = "cuda" if torch.cuda.is_available() else "cpu"
use_amp = device == "cuda"
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)).to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
scaler = torch.amp.GradScaler(device, enabled=use_amp)
X = torch.linspace(-1, 1, 32).reshape(8, 4).to(device)
y = X.prod(1, keepdim=True)
for step in range(5):
    with torch.autocast(device_type=device, dtype=torch.float16, enabled=use_amp):
        output = model(X)
        loss = nn.functional.mse_loss(output, y)
    print(step, output.dtype, f"{loss.item():.6f}")
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(opt)
    scaler.update()
    opt.zero_grad(set_to_none=True)
print(scaler.is_enabled(), scaler.get_scale() if use_amp else 1.0)
with torch.autocast(device_type="cpu", enabled=False):
    print(torch.is_autocast_enabled("cpu"))
