"""A small CNN (Conv2d, MaxPool2d, BatchNorm2d, Dropout in eval) trained on synthetic 8x8 images.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n = 64
images = torch.zeros(n, 1, 8, 8)
labels = torch.arange(n) % 2
for i in range(n):
    if labels[i] == 0:
        images[i, 0, 2:6, 3:5] = 1.0  # a vertical bar
    else:
        images[i, 0, 3:5, 2:6] = 1.0  # a horizontal bar
images += 0.1 * torch.randn(n, 1, 8, 8)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 2)
        self.dropout = nn.Dropout(0.0)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.conv2(x))
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for epoch in range(4):
    running_loss = 0.0
    for i in range(0, n, 16):
        inputs, targets = images[i:i + 16], labels[i:i + 16]
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print(f"[{epoch + 1}] loss: {running_loss / 4:.4f}")
net.eval()
with torch.no_grad():
    predicted = net(images).argmax(1)
print("accuracy", (predicted == labels).float().mean().item())
print(net.bn1.running_mean.shape, net.bn1.num_batches_tracked)
