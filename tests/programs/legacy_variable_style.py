"""Older PyTorch code (0.3-era idiom): autograd.Variable wrappers, .data updates, volatile-free
evaluation, and loss.data.item()."""
import torch
from torch.autograd import Variable

dtype = torch.FloatTensor
x = Variable(torch.linspace(-1, 1, 20).reshape(10, 2).type(dtype), requires_grad=False)
y = Variable((x.data[:, :1] * 3 - x.data[:, 1:] * 2 + 1).type(dtype), requires_grad=False)
w1 = Variable(torch.tensor([[0.1, 0.2, -0.1], [0.3, -0.2, 0.1]]).type(dtype), requires_grad=True)
w2 = Variable(torch.tensor([[0.5], [-0.4], [0.3]]).type(dtype), requires_grad=True)
learning_rate = 0.05
for t in range(50):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    if t % 10 == 0:
        print(t, round(loss.data.item(), 5))
    loss.backward()
    w1.data -= learning_rate * w1.grad.data
    w2.data -= learning_rate * w2.grad.data
    w1.grad.data.zero_()
    w2.grad.data.zero_()
print(isinstance(w1, torch.Tensor), type(w1.data).__name__, w1.requires_grad, w1.data.requires_grad)
print(torch.is_tensor(x), x.size(), x.size(1), x.dim(), x.numel(), x.type())
