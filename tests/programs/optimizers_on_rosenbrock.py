"""Every common optimizer minimising the Rosenbrock function from the same start."""
import torch


def rosenbrock(xy):
    x, y = xy
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


for name, make in [
    ("SGD", lambda p: torch.optim.SGD(p, lr=1e-3)),
    ("SGD+nesterov", lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True)),
    ("Adam", lambda p: torch.optim.Adam(p, lr=1e-2)),
    ("AdamW", lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.1)),
    ("Adam amsgrad", lambda p: torch.optim.Adam(p, lr=1e-2, amsgrad=True)),
    ("RMSprop", lambda p: torch.optim.RMSprop(p, lr=1e-3)),
    ("Adagrad", lambda p: torch.optim.Adagrad(p, lr=0.1)),
    ("Adadelta", lambda p: torch.optim.Adadelta(p, lr=1.0)),
    ("Adamax", lambda p: torch.optim.Adamax(p, lr=1e-2)),
    ("NAdam", lambda p: torch.optim.NAdam(p, lr=1e-2)),
    ("RAdam", lambda p: torch.optim.RAdam(p, lr=1e-2)),
]:
    xy = torch.tensor([-1.5, 2.0], requires_grad=True)
    opt = make([xy])
    for _ in range(200):
        opt.zero_grad()
        loss = rosenbrock(xy)
        loss.backward()
        opt.step()
    print(f"{name:14s} loss {loss.item():.6f} at {xy.detach().numpy().round(4)}")
