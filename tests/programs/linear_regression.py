"""Linear regression with a hand-written training loop and SGD."""
import torch
import torch.nn as nn

torch.manual_seed(0)
true_w = torch.tensor([[2.0], [-3.4]])
true_b = 4.2
X = torch.linspace(-1, 1, 200).reshape(100, 2)
y = X @ true_w + true_b + 0.01 * torch.sin(torch.arange(100.0)).reshape(100, 1)

model = nn.Linear(2, 1)
with torch.no_grad():
    model.weight.fill_(0.0)
    model.bias.fill_(0.0)
loss_fn = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(60):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch:3d} loss {loss.item():.6f}")
print("w", model.weight.data, "b", model.bias.data)
print("error in w", (model.weight.data.T - true_w).abs().max().item() < 1.0)
