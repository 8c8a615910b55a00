"""Explaining a small CNN's decisions, as interpretability tutorials do: Grad-CAM from a forward hook
(saving activations) and a full backward hook (saving the gradient w.r.t. the layer's output) on the
last conv block, upsampled to the input with F.interpolate (bilinear, align_corners=False) and
normalised; Grad-CAM++ weights from the same gradients; vanilla saliency from input.grad; guided
backprop through backward hooks on every ReLU that clamp the incoming gradient (and inplace=False
ReLUs); SmoothGrad averaging noisy saliency maps; integrated gradients along a straight path
(with a completeness check); hook handles removed afterwards so the model behaves as before.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def make_batch(n, size=12):
    """Class 0: a bright square top-left; class 1: bottom-right; class 2: a horizontal bar."""
    x = 0.1 * torch.randn(n, 1, size, size)
    labels = torch.arange(n) % 3
    for i, c in enumerate(labels.tolist()):
        if c == 0:
            x[i, 0, 1:5, 1:5] += 1.0
        elif c == 1:
            x[i, 0, 7:11, 7:11] += 1.0
        else:
            x[i, 0, 5:7, 1:11] += 1.0
    return x, labels


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(self.pool(self.features(x)).flatten(1))


model = SmallCNN()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
x_train, y_train = make_batch(48)
for step in range(60):
    loss = F.cross_entropy(model(x_train), y_train)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 20 == 0 or step == 59:
        print(f"step {step} loss {loss.item():.4f}")
model.eval()
x_test, y_test = make_batch(6)
with torch.no_grad():
    print("test predictions", model(x_test).argmax(1).tolist(), "labels", y_test.tolist())


class GradCAM:
    def __init__(self, model, layer):
        self.model = model
        self.activations = None
        self.gradients = None
        self.handles = [
            layer.register_forward_hook(self._save_activation),
            layer.register_full_backward_hook(self._save_gradient),
        ]

    def _save_activation(self, module, inputs, output):
        self.activations = output.detach()

    def _save_gradient(self, module, grad_input, grad_output):
        self.gradients = grad_output[0].detach()

    def __call__(self, x, class_idx=None):
        self.model.zero_grad()
        logits = self.model(x)
        if class_idx is None:
            class_idx = logits.argmax(1)
        score = logits.gather(1, class_idx.view(-1, 1)).sum()
        score.backward()
        A, dA = self.activations, self.gradients
        weights = dA.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * A).sum(1, keepdim=True))
        # Grad-CAM++ weights from the same first-order gradients (exp-score approximation)
        g2, g3 = dA.pow(2), dA.pow(3)
        denom = 2 * g2 + (A * g3).sum(dim=(2, 3), keepdim=True)
        alpha = g2 / torch.where(denom != 0, denom, torch.ones_like(denom))
        w_pp = (alpha * F.relu(dA)).sum(dim=(2, 3), keepdim=True)
        cam_pp = F.relu((w_pp * A).sum(1, keepdim=True))
        return self._upsample(cam, x), self._upsample(cam_pp, x), logits

    @staticmethod
    def _upsample(cam, x):
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
        flat = cam.flatten(1)
        lo, hi = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
        return ((flat - lo) / (hi - lo + 1e-8)).view_as(cam)

    def remove(self):
        for h in self.handles:
            h.remove()


gc = GradCAM(model, model.features[3])
cam, cam_pp, logits = gc(x_test)
print("activations", gc.activations.shape, "gradients", gc.gradients.shape)
print("cam", cam.shape, cam.dtype, "min", cam.amin().item(), "max", f"{cam.amax().item():.4f}")
for i in range(3):
    c = cam[i, 0]
    peak = divmod(int(c.argmax()), c.shape[1])
    print(f"image {i} class {y_test[i].item()} peak {peak} quadrant means "
          f"{c[:6, :6].mean().item():.4f} {c[6:, 6:].mean().item():.4f} row-band {c[5:7].mean().item():.4f}")
print("cam++ agrees on peak row", [divmod(int(c.argmax()), 12)[0] for c in cam_pp[:3, 0]])
print("coarse map", F.interpolate(cam[:1], scale_factor=0.5, mode="nearest").squeeze())
gc.remove()
print("hooks after remove", len(model.features[3]._forward_hooks), len(model.features[3]._backward_hooks))

# ---- vanilla saliency --------------------------------------------------------------------------
x = x_test[:3].clone().requires_grad_(True)
scores = model(x).gather(1, y_test[:3].view(-1, 1))
scores.sum().backward()
saliency = x.grad.abs().amax(dim=1)
print("saliency", saliency.shape, "top pixel", [divmod(int(s.argmax()), 12) for s in saliency])
print("saliency mass in object", [f"{(s[1:5, 1:5].sum() / s.sum()).item():.4f}" for s in saliency[:1]])


# ---- guided backprop ---------------------------------------------------------------------------
def guided_relu_hook(module, grad_input, grad_output):
    return (grad_input[0].clamp(min=0),)


handles = [m.register_full_backward_hook(guided_relu_hook) for m in model.modules() if isinstance(m, nn.ReLU)]
print("guided hooks on", len(handles), "ReLUs")
x = x_test[:3].clone().requires_grad_(True)
model(x).gather(1, y_test[:3].view(-1, 1)).sum().backward()
guided = x.grad.clone()
print("guided grad non-negative share", f"{(guided >= 0).float().mean().item():.4f}")
print("guided x saliency", [f"{v:.5f}" for v in (guided * saliency.unsqueeze(1)).flatten(1).sum(1).tolist()])
for h in handles:
    h.remove()
x.grad = None
model(x).gather(1, y_test[:3].view(-1, 1)).sum().backward()
print("after removal matches vanilla", torch.allclose(x.grad.abs().amax(1), saliency))


# ---- SmoothGrad --------------------------------------------------------------------------------
def smoothgrad(model, x, target, n=16, sigma=0.15):
    total = torch.zeros_like(x)
    gen = torch.Generator().manual_seed(123)
    for _ in range(n):
        noisy = (x + sigma * torch.randn(x.shape, generator=gen)).requires_grad_(True)
        model(noisy)[0, target].backward()
        total += noisy.grad
    return total / n


sg = smoothgrad(model, x_test[:1], int(y_test[0]))
print("smoothgrad", sg.shape, "abs mean", f"{sg.abs().mean().item():.6f}", "peak", divmod(int(sg.abs().argmax()), 12))


# ---- integrated gradients ----------------------------------------------------------------------
def integrated_gradients(model, x, target, baseline=None, steps=32):
    baseline = torch.zeros_like(x) if baseline is None else baseline
    alphas = torch.linspace(0, 1, steps + 1)[1:].view(-1, 1, 1, 1)
    path = (baseline + alphas * (x - baseline)).requires_grad_(True)
    out = model(path)[:, target].sum()
    (grads,) = torch.autograd.grad(out, path)
    avg = grads.mean(0, keepdim=True)
    return (x - baseline) * avg


for i in range(3):
    xi = x_test[i:i + 1]
    target = int(y_test[i])
    ig = integrated_gradients(model, xi, target)
    with torch.no_grad():
        gap = (model(xi)[0, target] - model(torch.zeros_like(xi))[0, target]).item()
    print(f"IG image {i}: sum {ig.sum().item():.4f} vs output gap {gap:.4f}, "
          f"top pixel {divmod(int(ig.abs().argmax()), 12)}")
