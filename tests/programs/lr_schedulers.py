"""Learning-rate schedules over epochs: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
OneCycleLR, LambdaLR, ReduceLROnPlateau, SequentialLR with warm-up."""
import torch
from torch.optim import lr_scheduler


def run(make, epochs=6, metric=None):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = make(opt)
    lrs = []
    for epoch in range(epochs):
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric[epoch])
        lrs.append(round(opt.param_groups[0]["lr"], 6))
    return lrs


print("step", run(lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5)))
print("multistep", run(lambda o: lr_scheduler.MultiStepLR(o, milestones=[1, 4], gamma=0.1)))
print("exp", run(lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9)))
print("cosine", run(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01)))
print("onecycle", run(lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=8), epochs=7))
print("lambda", run(lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda e: 1 / (e + 1))))
print("plateau", run(lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5), metric=[1, 1, 1, 1, 0.5, 0.5]))
print("warmup", run(lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3),
                                                             lr_scheduler.ExponentialLR(o, gamma=0.5)], milestones=[3])))
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
print([round(g["momentum"], 4) for g in opt.param_groups], sched.get_last_lr())
print(sorted(k for k in lr_scheduler.StepLR(opt, 3).state_dict() if not k.startswith("_")))
