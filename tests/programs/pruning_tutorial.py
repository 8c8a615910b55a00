"""The pruning tutorial on a LeNet: torch.nn.utils.prune l1_unstructured and ln_structured on conv
weights, weight_orig / weight_mask re-parametrisation, named_buffers and forward_pre_hooks, global
magnitude pruning over several layers, prune.remove to make it permanent, and the sparsity achieved.
Fine-tunes the pruned net a little and checks pruned weights stay zero.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


model = LeNet().to(device=device)
module = model.conv1
print(list(module.named_parameters())[0][0], list(module.named_buffers()))

prune.l1_unstructured(module, name="weight", amount=0.3)
print([n for n, _ in module.named_parameters()])
print([n for n, _ in module.named_buffers()])
print(module.weight_mask.sum().item(), module.weight.numel(), module.weight.grad_fn.name())
print(len(module._forward_pre_hooks), type(list(module._forward_pre_hooks.values())[0]).__name__)

prune.l1_unstructured(module, name="bias", amount=3)
print(module.bias_mask)
print(torch.equal(module.bias, module.bias_orig * module.bias_mask))

# iterative pruning: structured along output channels by L2 norm, on top of the unstructured mask
prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
rows_alive = (module.weight.abs().sum(dim=(1, 2, 3)) > 0).sum().item()
print("channels alive", rows_alive, "zero weights", int((module.weight == 0).sum().item()))
for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":
        break
print(type(hook).__name__, [type(h).__name__ for h in hook])

print(sorted(model.state_dict().keys())[:6])
prune.remove(module, "weight")
print([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()])

# global pruning over all remaining layers
model = LeNet()
parameters_to_prune = (
    (model.conv1, "weight"),
    (model.conv2, "weight"),
    (model.fc1, "weight"),
    (model.fc2, "weight"),
    (model.fc3, "weight"),
)
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.2)
total_zero, total = 0, 0
for m, name in parameters_to_prune:
    w = getattr(m, name)
    zeros = int(torch.sum(w == 0))
    total_zero += zeros
    total += w.nelement()
    print(f"Sparsity in {type(m).__name__:6s} {tuple(w.shape)}: {100.0 * zeros / w.nelement():.2f}%")
print(f"Global sparsity: {100.0 * total_zero / total:.2f}%")

# fine-tune the pruned network: masks keep the pruned entries at zero
x = torch.randn(16, 1, 26, 26)
y = torch.randint(0, 10, (16,))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for step in range(8):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 2 == 0:
        print(f"step {step} loss {loss.item():.4f}")
print(torch.all(model.fc1.weight[model.fc1.weight_mask == 0] == 0).item(),
      int((model.fc1.weight_orig.grad * (1 - model.fc1.weight_mask)).abs().sum().item()))
for m, name in parameters_to_prune:
    prune.remove(m, name)
print(prune.is_pruned(model), sorted(n for n, _ in model.named_parameters())[:4])
print(f"{(model.fc1.weight == 0).float().mean().item():.4f}")
