"""Second derivatives: grad of grad with create_graph, a Hessian-vector product, a gradient
penalty (as in WGAN-GP), and torch.autograd.functional.jacobian/hessian."""
import torch
from torch.autograd.functional import hessian, jacobian

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x ** 3).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
print(g)
(h,) = torch.autograd.grad(g.sum(), x)
print(h)
v = torch.tensor([1.0, 0.0, -1.0])
w = torch.tensor([0.5, -0.5, 2.0], requires_grad=True)
loss = (w.sin() * w).sum()
(gw,) = torch.autograd.grad(loss, w, create_graph=True)
(hvp,) = torch.autograd.grad(gw @ v, w)
print(hvp)

torch.manual_seed(0)
critic = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
real = torch.tensor([[1.0, 2.0], [0.5, -1.0]])
fake = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
alpha = torch.tensor([[0.3], [0.7]])
interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
out = critic(interp)
grads = torch.autograd.grad(outputs=out, inputs=interp, grad_outputs=torch.ones_like(out), create_graph=True,
                            retain_graph=True)[0]
penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
penalty.backward()
print(f"{penalty.item():.6f}", critic[0].weight.grad.shape)
print(jacobian(lambda t: t ** 2 + t.sum(), torch.tensor([1.0, 2.0])))
print(hessian(lambda t: (t ** 3).sum() + t.prod(), torch.tensor([1.0, 2.0])))
