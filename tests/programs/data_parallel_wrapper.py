"""nn.DataParallel as scripts use it "in case there are several GPUs": on a CPU-only machine it calls
the module; the state dict's keys gain "module." and the inner module's load into a plain model."""
import os
import tempfile

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
if torch.cuda.device_count() > 1:
    print("Let's use", torch.cuda.device_count(), "GPUs!")
model = nn.DataParallel(model)
print(model)
print(list(model.state_dict()), model.device_ids)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(16, 4)
y = torch.randn(16, 2)
for _ in range(3):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
print(f"{loss.item():.5f}")
path = os.path.join(tempfile.mkdtemp(), "dp.pt")
torch.save(model.module.state_dict(), path)
plain = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
plain.load_state_dict(torch.load(path))
print(torch.allclose(plain(x), model(x)))
