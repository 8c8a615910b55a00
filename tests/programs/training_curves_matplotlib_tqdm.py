"""A regression trained with a tqdm progress bar, its curves and weights plotted with matplotlib.

Exercises what notebooks do around the model: tensors handed straight to ``ax.plot``/``ax.hist``/
``ax.scatter`` (matplotlib converts them through ``__array__`` and probes them with ``hasattr``),
``np.asarray`` of a detached tensor, ``tqdm`` over a DataLoader with ``set_postfix``, and a figure
rendered into memory.
"""
import io

import matplotlib
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

torch.manual_seed(0)
x = torch.linspace(-3, 3, 240).unsqueeze(1)
y = torch.sin(x) + 0.1 * torch.randn_like(x)
loader = DataLoader(TensorDataset(x, y), batch_size=24, shuffle=True)
model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
losses = []
for epoch in range(8):
    bar = tqdm(loader, desc=f"epoch {epoch}", leave=False)
    total = 0.0
    for xb, yb in bar:
        loss = nn.functional.mse_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
        bar.set_postfix(loss=f"{loss.item():.3f}")
    losses.append(total / len(loader.dataset))
    print(f"epoch {epoch}: mse {losses[-1]:.4f}")

with torch.no_grad():
    pred = model(x)
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
axes[0].plot(torch.tensor(losses))
axes[0].set_yscale("log")
axes[1].scatter(x.squeeze(), y.squeeze(), s=2)
axes[1].plot(x, pred, color="C1")
counts, edges, _ = axes[2].hist(model[0].weight.detach().flatten(), bins=6)
buf = io.BytesIO()
fig.savefig(buf, format="png")
plt.close(fig)
print("lines:", len(axes[1].lines), "bins:", len(counts), "weights counted:", int(counts.sum()))
print("png bytes > 0:", buf.getbuffer().nbytes > 0)
print("fitted at 0 and 1.5:", [round(v, 3) for v in model(torch.tensor([[0.0], [1.5]])).detach().squeeze().tolist()])
print("as array:", np.asarray(pred[:3].squeeze()).round(3).tolist(), type(np.asarray(pred)).__name__)
