"""A neural ODE trained by backpropagating through a hand-written fixed-step RK4 solver: learn the
vector field of a damped spiral from a trajectory, compare with Euler, and check the learned dynamics
with torch.func.jacrev at the origin.

tolerance: rtol=3e-3 atol=1e-5
"""
import torch
import torch.nn as nn

torch.manual_seed(0)

true_A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])


def true_f(t, y):
    return y @ true_A.T


def rk4(f, y0, t):
    ys = [y0]
    y = y0
    for i in range(len(t) - 1):
        h = t[i + 1] - t[i]
        k1 = f(t[i], y)
        k2 = f(t[i] + h / 2, y + h / 2 * k1)
        k3 = f(t[i] + h / 2, y + h / 2 * k2)
        k4 = f(t[i] + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys.append(y)
    return torch.stack(ys)


def euler(f, y0, t):
    ys = [y0]
    for i in range(len(t) - 1):
        ys.append(ys[-1] + (t[i + 1] - t[i]) * f(t[i], ys[-1]))
    return torch.stack(ys)


t = torch.linspace(0, 3, 31)
y0 = torch.tensor([[2.0, 0.0]])
with torch.no_grad():
    true_y = rk4(true_f, y0, t)
    print(true_y.shape, true_y[-1])
    print("euler vs rk4 gap", f"{(euler(true_f, y0, t) - true_y).abs().max().item():.4f}")


class ODEFunc(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))
        for m in self.net.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0, std=0.1)
                nn.init.constant_(m.bias, val=0)
        self.nfe = 0

    def forward(self, t, y):
        self.nfe += 1
        return self.net(y)


func = ODEFunc()
opt = torch.optim.RMSprop(func.parameters(), lr=1e-2)
batch_time = 10
for itr in range(80):
    starts = torch.randint(0, len(t) - batch_time, (16,))
    batch_y0 = true_y[starts, 0]                                        # (16, 2)
    batch_t = t[:batch_time]
    batch_y = torch.stack([true_y[starts + i, 0] for i in range(batch_time)])  # (T, 16, 2)
    pred_y = rk4(func, batch_y0, batch_t)
    loss = torch.mean(torch.abs(pred_y - batch_y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if itr % 10 == 0:
        with torch.no_grad():
            full = rk4(func, y0, t)
            print(f"iter {itr:3d} batch loss {loss.item():.4f} full loss {torch.mean(torch.abs(full - true_y)).item():.4f}")

print("function evaluations", func.nfe)
with torch.no_grad():
    pred = rk4(func, y0, t)
    print(pred[::10, 0])
J = torch.func.jacrev(lambda y: func.net(y))(torch.zeros(2))
print(J.shape)
print(J)
print(f"trace {torch.trace(J).item():.4f} det {torch.linalg.det(J).item():.4f}")
