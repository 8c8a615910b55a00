"""Gradient-flow debugging as blog posts teach it: a hook on every parameter printing its gradient
norm as backward reaches it (so the print order is torch's backward order) for an MLP, a conv net
with norms, an embedding + LSTM / GRU classifier, LSTMCell / GRUCell loops, Bilinear and an
affine InstanceNorm; a torchsummary-style table built with forward hooks (output shapes, parameter
counts with thousands separators, trainable vs frozen); a per-parameter gradient-flow report where
frozen parts show ``grad is None``; ``model.apply`` init; and ``torch.__version__`` gates compared
as strings and tuples."""
import torch
import torch.nn as nn
import torch.nn.functional as F

log = []


def watch(model, tag):
    handles = []
    for name, p in model.named_parameters():
        if p.requires_grad:
            handles.append(p.register_hook(lambda g, name=name: log.append(f"{tag}:{name} {g.norm():.4f}")))
    return handles


def flush(title):
    print(title)
    for line in log:
        print("  " + line)
    log.clear()


# 1. an MLP: each Linear's bias gradient arrives before its weight's
torch.manual_seed(0)
mlp = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))
watch(mlp, "mlp")
x = torch.randn(8, 6)
y = torch.randint(0, 3, (8,))
F.cross_entropy(mlp(x), y).backward()
flush("mlp backward order")
seq_in = torch.randn(2, 5, 6, requires_grad=True)
seq_in.register_hook(lambda g: log.append(f"input {g.abs().sum():.4f}"))
mlp(seq_in).pow(2).mean().backward()
flush("mlp on a 3-d input")

# 2. a small conv net with batch norm, group norm and instance norm
torch.manual_seed(1)
cnn = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
    nn.Conv2d(4, 4, 3, padding=1), nn.InstanceNorm2d(4, affine=True), nn.ReLU(),
    nn.Conv2d(4, 4, 3), nn.GroupNorm(2, 4), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2),
)
watch(cnn, "cnn")
cnn(torch.randn(3, 1, 6, 6)).logsumexp(1).sum().backward()
flush("cnn backward order")


# 3. recurrent classifiers
class RNNClassifier(nn.Module):
    def __init__(self, cell, bidirectional=False, layers=1):
        super().__init__()
        self.embed = nn.Embedding(12, 5, padding_idx=0)
        self.rnn = cell(5, 6, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.fc = nn.Linear(6 * (2 if bidirectional else 1), 2)

    def forward(self, tokens):
        out, _ = self.rnn(self.embed(tokens))
        return self.fc(out[:, -1])


tokens = torch.tensor([[3, 4, 5, 0], [6, 7, 8, 9]])
for cell, bidi, layers in ((nn.LSTM, False, 2), (nn.GRU, True, 1), (nn.RNN, False, 2)):
    torch.manual_seed(2)
    clf = RNNClassifier(cell, bidi, layers)
    watch(clf, cell.__name__)
    F.cross_entropy(clf(tokens), torch.tensor([0, 1])).backward()
    flush(f"{cell.__name__} bidirectional={bidi} layers={layers}")

for cell_type in (nn.LSTMCell, nn.GRUCell, nn.RNNCell):
    torch.manual_seed(3)
    cell = cell_type(4, 3)
    watch(cell, cell_type.__name__)
    h = torch.zeros(2, 3)
    state = (h, torch.zeros(2, 3)) if cell_type is nn.LSTMCell else h
    for t in range(3):
        state = cell(torch.randn(2, 4), state)
        h = state[0] if isinstance(state, tuple) else state
    h.pow(2).sum().backward()
    flush(f"{cell_type.__name__} unrolled 3 steps")

torch.manual_seed(4)
bil = nn.Bilinear(3, 4, 2)
watch(bil, "bilinear")
bil(torch.randn(5, 3), torch.randn(5, 4)).sum().backward()
flush("bilinear")


# 4. a torchsummary-style table
def summary(model, input_size):
    rows, hooks = [], []

    def register(module):
        def hook(mod, inp, out):
            shape = [list(o.shape) for o in out] if isinstance(out, (tuple, list)) else list(out.shape)
            params = sum(p.numel() for p in mod.parameters(recurse=False))
            rows.append((f"{type(mod).__name__}-{len(rows) + 1}", shape, params))
        if not isinstance(module, (nn.Sequential, nn.ModuleList)) and module is not model:
            hooks.append(module.register_forward_hook(hook))

    model.apply(register)
    with torch.no_grad():
        model(torch.rand(2, *input_size))
    for h in hooks:
        h.remove()
    print("-" * 60)
    print(f"{'Layer (type)':>22} {'Output Shape':>22} {'Param #':>12}")
    print("=" * 60)
    for name, shape, params in rows:
        print(f"{name:>22} {str(shape):>22} {params:>12,}")
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print("=" * 60)
    print(f"Total params: {total:,}")
    print(f"Trainable params: {trainable:,}")
    print(f"Non-trainable params: {total - trainable:,}")
    print(f"Params size (MB): {total * 4 / 1024 ** 2:.4f}")


for p in cnn[0].parameters():
    p.requires_grad_(False)
cnn.eval()
summary(cnn, (1, 6, 6))
cnn.train()

# 5. gradient flow with a frozen first block
cnn.zero_grad(set_to_none=True)
torch.manual_seed(5)
cnn(torch.randn(3, 1, 6, 6)).sum().backward()
for name, p in cnn.named_parameters():
    if p.grad is None:
        print(f"{name:12s} grad=None (frozen={not p.requires_grad})")
    else:
        print(f"{name:12s} mean|g|={p.grad.abs().mean():.6f} max|g|={p.grad.abs().max():.6f}")


# 6. init with apply, checked per module type
def init_weights(m):
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.constant_(m.bias, 0.01)


torch.manual_seed(6)
print(cnn.apply(init_weights) is cnn)
for name, m in cnn.named_modules():
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        print(f"{name:3s} {type(m).__name__:7s} std={m.weight.std():.4f} bias_sum={m.bias.sum():.4f}")

# 7. version gates, as scripts write them
v = torch.__version__
print(isinstance(v, str), v >= "1.10", v >= "2.9", v > (1, 13), v < (3,), v >= "2.0.0a0")
print(tuple(int(p) for p in v.split("+")[0].split(".")[:2]) >= (2, 0))
