"""Building a network: nn.Module, parameters, state_dict, printing."""
import torch
from torch import nn


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(4 * 4, 32),
            nn.ReLU(),
            nn.Linear(32, 32),
            nn.ReLU(),
            nn.Linear(32, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


device = "cpu"
torch.manual_seed(0)
model = NeuralNetwork().to(device)
print(model)
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | requires_grad {param.requires_grad}")
print(sum(p.numel() for p in model.parameters()))
print(list(model.state_dict().keys()))
X = torch.linspace(-1, 1, 3 * 16).reshape(3, 4, 4)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.linspace(-0.3, 0.3, p.numel()).reshape(p.shape))
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")
print(logits.shape, logits.dtype)
print(pred_probab.sum(dim=1))
model.eval()
print(model.training, model.linear_relu_stack[0].training)
model.train()
print(model.linear_relu_stack[2].weight.shape, model.linear_relu_stack[2].bias[:3])
children = [type(m).__name__ for m in model.modules()]
print(children)
sd = model.state_dict()
model2 = NeuralNetwork()
print(model2.load_state_dict(sd))
print(torch.equal(model2(X), model(X)))
