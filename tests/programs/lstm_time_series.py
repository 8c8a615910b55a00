"""Predicting the next value of a sine wave with an LSTM (sequence to one), LBFGS-free: Adam.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn

t = torch.linspace(0, 8 * 3.14159, 200)
wave = torch.sin(t)
window = 12
X = torch.stack([wave[i:i + window] for i in range(150)]).unsqueeze(-1)
y = wave[window:window + 150].unsqueeze(-1)


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=16, num_layers=2, batch_first=True)
        self.linear = nn.Linear(16, 1)

    def forward(self, x):
        out, (h_n, c_n) = self.lstm(x)
        return self.linear(out[:, -1, :])


torch.manual_seed(0)
model = Forecaster()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(25):
    pred = model(X)
    loss = nn.MSELoss()(pred, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch} mse {loss.item():.5f}")
with torch.no_grad():
    seq = wave[-window:].reshape(1, window, 1)
    preds = []
    for _ in range(5):
        nxt = model(seq)
        preds.append(round(nxt.item(), 3))
        seq = torch.cat([seq[:, 1:], nxt.unsqueeze(1)], dim=1)
print(preds)
