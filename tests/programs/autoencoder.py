"""An MLP autoencoder with a bottleneck, trained with L1 + MSE, encoding and decoding in eval mode.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
from torch import nn

torch.manual_seed(0)
data = torch.sigmoid(torch.randn(64, 2) @ torch.randn(2, 10))


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(10, 6), nn.ELU(), nn.Linear(6, 2))
        self.decoder = nn.Sequential(nn.Linear(2, 6), nn.ELU(), nn.Linear(6, 10), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


model = AutoEncoder()
optimizer = torch.optim.AdamW(model.parameters(), lr=0.02, weight_decay=1e-4)
for epoch in range(40):
    recon = model(data)
    loss = nn.functional.mse_loss(recon, data) + 0.1 * nn.functional.l1_loss(recon, data)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch}: {loss.item():.5f}")
model.eval()
with torch.inference_mode():
    codes = model.encoder(data[:3])
    print(codes.shape, torch.is_inference_mode_enabled())
    print(model.decoder(codes).shape)
print(codes.requires_grad)
