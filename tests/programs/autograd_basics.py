"""Automatic differentiation with torch.autograd, as the tutorial shows it."""
import torch

x = torch.ones(5)
y = torch.zeros(3)
w = torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [0.7, -0.8, 0.9], [1.0, 1.1, -1.2], [0.2, 0.1, 0.0]],
                 requires_grad=True)
b = torch.tensor([0.5, -0.5, 0.25], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print("z has a grad_fn:", z.grad_fn is not None)
loss.backward()
print(w.grad)
print(b.grad)
z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

a = torch.tensor([2.0, 3.0], requires_grad=True)
q = 3 * a ** 3 - torch.tensor([6.0, 4.0], requires_grad=True) ** 2
q.backward(gradient=torch.tensor([1.0, 1.0]))
print(9 * a ** 2 == a.grad)
h = a * 2
h.retain_grad()
(h ** 2).sum().backward()
print(h.grad, a.grad)
print(torch.autograd.grad((a * a).sum(), a))
