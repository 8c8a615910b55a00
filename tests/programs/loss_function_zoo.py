"""The less common losses, as modules and functionals, each with reduction none/mean/sum and a
gradient: KLDivLoss (log_target both ways, batchmean), PoissonNLLLoss (log_input both ways,
full=True), GaussianNLLLoss (scalar and full variance), HuberLoss and SmoothL1Loss (delta/beta),
MultiMarginLoss (p=1/2, weight), MultiLabelMarginLoss, MultiLabelSoftMarginLoss,
HingeEmbeddingLoss, SoftMarginLoss, TripletMarginWithDistanceLoss with a custom distance, NLLLoss
with ignore_index and class weights on 4-d input, CrossEntropyLoss with probabilities and
label_smoothing, and a small regression trained with Huber loss.

tolerance: rtol=1e-3 atol=1e-4
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def show(name, loss_fn, *args):
    args = [a.detach().clone().requires_grad_(a.is_floating_point()) if i == 0 else a for i, a in enumerate(args)]
    out = loss_fn(*args)
    out.sum().backward() if out.dim() else out.backward()
    print(f"{name:28s}", out.shape, out if out.dim() else f"{out.item():.6f}", f"grad {args[0].grad.abs().sum().item():.6f}")


logits = torch.randn(4, 5)
log_p = F.log_softmax(logits, -1)
target_p = F.softmax(torch.randn(4, 5), -1)
for red in ("none", "batchmean", "sum", "mean"):
    show(f"kl {red}", nn.KLDivLoss(reduction=red), log_p, target_p)
show("kl log_target", nn.KLDivLoss(reduction="batchmean", log_target=True), log_p, target_p.log())

rate = torch.randn(6)
counts = torch.tensor([5.0, 4.0, 5.0, 2.0, 3.0, 2.0])
print(counts)
show("poisson log_input", nn.PoissonNLLLoss(), rate, counts)
show("poisson rate full", nn.PoissonNLLLoss(log_input=False, full=True), rate.exp(), counts)
show("poisson none", lambda i, t: F.poisson_nll_loss(i, t, reduction="none"), rate, counts)

mu = torch.randn(5, 2)
y = torch.randn(5, 2)
var = torch.rand(5, 2) + 0.1
show("gaussian full var", nn.GaussianNLLLoss(), mu, y, var)
show("gaussian scalar var", nn.GaussianNLLLoss(full=True), mu, y, torch.rand(5, 1) + 0.1)
show("gaussian none", nn.GaussianNLLLoss(reduction="none", eps=1e-3), mu, y, var)

pred = torch.tensor([0.2, 1.5, -3.0, 0.9, 2.2])
tgt = torch.tensor([0.0, 0.0, 0.0, 1.0, 0.0])
for delta in (0.5, 1.0, 2.0):
    show(f"huber delta={delta}", nn.HuberLoss(delta=delta), pred, tgt)
    show(f"smooth_l1 beta={delta}", nn.SmoothL1Loss(beta=delta), pred, tgt)
show("smooth_l1 beta=0", lambda i, t: F.smooth_l1_loss(i, t, beta=0.0, reduction="none"), pred, tgt)
show("huber none", lambda i, t: F.huber_loss(i, t, reduction="none", delta=0.7), pred, tgt)

scores = torch.randn(4, 5)
cls = torch.tensor([1, 0, 4, 2])
show("multi_margin", nn.MultiMarginLoss(), scores, cls)
show("multi_margin p=2 m=0.5", nn.MultiMarginLoss(p=2, margin=0.5), scores, cls)
show("multi_margin weight", nn.MultiMarginLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0]), reduction="none"), scores, cls)
ml_target = torch.tensor([[3, 0, -1, 1, 2], [1, 2, 4, -1, 0], [0, -1, 2, 3, 4], [4, 3, 2, 1, 0]])
show("multilabel_margin", nn.MultiLabelMarginLoss(), scores, ml_target)
show("multilabel_margin none", nn.MultiLabelMarginLoss(reduction="none"), scores, ml_target)
multi_hot = (torch.rand(4, 5) > 0.5).float()
show("multilabel_soft_margin", nn.MultiLabelSoftMarginLoss(), scores, multi_hot)
show("multilabel_soft weight", nn.MultiLabelSoftMarginLoss(weight=torch.arange(1.0, 6.0), reduction="none"), scores, multi_hot)

dist = torch.rand(6) * 2
sim = torch.tensor([1, -1, 1, -1, -1, 1])
show("hinge_embedding", nn.HingeEmbeddingLoss(margin=1.0), dist, sim)
show("hinge_embedding none", nn.HingeEmbeddingLoss(margin=0.5, reduction="none"), dist, sim)
show("soft_margin", nn.SoftMarginLoss(), torch.randn(6), sim.float())

anchor, positive, negative = torch.randn(3, 4, 8).unbind(0)
cosine_distance = lambda u, v: 1.0 - F.cosine_similarity(u, v)
show("triplet custom distance", nn.TripletMarginWithDistanceLoss(distance_function=cosine_distance, margin=0.3), anchor, positive, negative)
show("triplet default swap", nn.TripletMarginWithDistanceLoss(swap=True, reduction="none"), anchor, positive, negative)
show("triplet margin p=1", nn.TripletMarginLoss(margin=1.0, p=1), anchor, positive, negative)

seg_logits = torch.randn(2, 3, 4, 4)
seg_target = torch.randint(0, 3, (2, 4, 4))
seg_target[0, 0] = -100
seg_target[1, :, 0] = 2
w = torch.tensor([0.2, 1.0, 3.0])
show("nll 4d weight ignore", nn.NLLLoss(weight=w), F.log_softmax(seg_logits, 1), seg_target)
show("ce 4d ignore=2", nn.CrossEntropyLoss(ignore_index=2, reduction="sum"), seg_logits, seg_target.clamp(min=0))
show("ce probs", nn.CrossEntropyLoss(), logits, target_p)
show("ce smoothing weight", nn.CrossEntropyLoss(label_smoothing=0.1, weight=torch.tensor([1.0, 2.0, 1.0, 0.5, 1.0])), logits, torch.tensor([0, 1, 3, 4]))
show("bce weight", nn.BCELoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0, 1.0])), torch.sigmoid(logits), multi_hot)

# a robust regression: Huber loss shrugs off outliers that wreck MSE
torch.manual_seed(1)
xs = torch.linspace(-2, 2, 40).unsqueeze(1)
ys = 1.5 * xs - 0.5 + 0.05 * torch.randn(40, 1)
ys[::10] += 8.0
for name, crit in (("huber", nn.HuberLoss(delta=0.5)), ("mse", nn.MSELoss())):
    lin = nn.Linear(1, 1)
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    for step in range(150):
        loss = crit(lin(xs), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(name, f"loss {loss.item():.5f} slope {lin.weight.item():.4f} intercept {lin.bias.item():.4f}")
