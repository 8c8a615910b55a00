"""An nn.LSTMCell unrolled by hand on a sine-wave continuation task: teacher forcing (feed the true
previous value) versus free running (feed the model's own prediction), scheduled sampling with a
seeded torch.Generator deciding per step which input to use, torch.stack of the outputs,
clip_grad_norm_ on the parameters, a step LR schedule, and a free-running rollout in eval mode.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

T = 20
t = torch.linspace(0, 4 * torch.pi, T + 1)
phase = torch.rand(32, 1) * 2 * torch.pi
freq = 0.8 + 0.4 * torch.rand(32, 1)
series = torch.sin(freq * t[None, :] + phase).unsqueeze(-1)  # (B, T+1, 1)
print("series", tuple(series.shape))


class Seq(nn.Module):
    def __init__(self, hidden=24):
        super().__init__()
        self.cell = nn.LSTMCell(1, hidden)
        self.out = nn.Linear(hidden, 1)
        self.hidden = hidden

    def forward(self, seq, teacher_prob=1.0, generator=None):
        B = seq.shape[0]
        h = seq.new_zeros(B, self.hidden)
        c = seq.new_zeros(B, self.hidden)
        inp = seq[:, 0]
        outputs = []
        for i in range(seq.shape[1] - 1):
            h, c = self.cell(inp, (h, c))
            y = self.out(h)
            outputs.append(y)
            use_truth = torch.rand((), generator=generator).item() < teacher_prob
            inp = seq[:, i + 1] if use_truth else y
        return torch.stack(outputs, dim=1)


model = Seq()
print(model.cell, "weight_ih", tuple(model.cell.weight_ih.shape), "weight_hh", tuple(model.cell.weight_hh.shape))
h1, c1 = model.cell(series[:2, 0])
print("zero-state step", tuple(h1.shape), tuple(c1.shape))

opt = torch.optim.Adam(model.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
gen = torch.Generator().manual_seed(1234)
for step in range(40):
    teacher_prob = max(0.0, 1.0 - step / 30)
    pred = model(series, teacher_prob, gen)
    loss = F.mse_loss(pred, series[:, 1:])
    opt.zero_grad()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    sched.step()
    if step % 10 == 0:
        print(f"step {step:2d} p_teacher {teacher_prob:.3f} loss {loss.item():.5f} "
              f"grad norm {norm.item():.5f} lr {sched.get_last_lr()[0]:.4f}")

model.eval()
with torch.no_grad():
    tf = F.mse_loss(model(series, 1.0), series[:, 1:]).item()
    fr = F.mse_loss(model(series, 0.0), series[:, 1:]).item()
    print(f"teacher-forced mse {tf:.5f} free-running mse {fr:.5f}")
    print("rollout", model(series[:1], 0.0)[0, :6, 0])
print("generator state size", gen.get_state().shape)
