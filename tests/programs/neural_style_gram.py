"""Neural style transfer in the style of the PyTorch tutorial, shrunk: a small frozen random conv
"feature extractor", content and style losses inserted as modules into a rebuilt nn.Sequential,
Gram matrices, the input image optimised with LBFGS (requires_grad_ on the image, clamp_ under
no_grad in the closure), and forward hooks collecting activations.

tolerance: rtol=5e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

size = 16
yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
content_img = torch.stack([xx, yy, 1 - xx]).unsqueeze(0)                         # smooth gradients
style_img = torch.stack([(torch.sin(12 * xx) > 0).double(), (torch.sin(12 * yy) > 0).double(),
                         0.5 * torch.ones_like(xx)]).unsqueeze(0)                 # stripes
print(content_img.shape, style_img.shape, content_img.dtype)

cnn = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=False),
    nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=False),
    nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=False),
    nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(inplace=False),
).to(device).eval()
for p in cnn.parameters():
    p.requires_grad_(False)

cnn_normalization_mean = torch.tensor([0.485, 0.456, 0.406])
cnn_normalization_std = torch.tensor([0.229, 0.224, 0.225])


class Normalization(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.mean = mean.clone().detach().view(-1, 1, 1)
        self.std = std.clone().detach().view(-1, 1, 1)

    def forward(self, img):
        return (img - self.mean) / self.std


def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)


class ContentLoss(nn.Module):
    def __init__(self, target):
        super().__init__()
        self.target = target.detach()

    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input


class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super().__init__()
        self.target = gram_matrix(target_feature).detach()

    def forward(self, input):
        self.loss = F.mse_loss(gram_matrix(input), self.target)
        return input


content_layers = ["conv_3"]
style_layers = ["conv_1", "conv_2", "conv_3", "conv_4"]


def get_style_model_and_losses(cnn, style_img, content_img):
    normalization = Normalization(cnn_normalization_mean, cnn_normalization_std)
    content_losses, style_losses = [], []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = f"conv_{i}"
        elif isinstance(layer, nn.ReLU):
            name = f"relu_{i}"
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = f"pool_{i}"
        else:
            raise RuntimeError(f"Unrecognized layer: {layer.__class__.__name__}")
        model.add_module(name, layer)
        if name in content_layers:
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module(f"content_loss_{i}", content_loss)
            content_losses.append(content_loss)
        if name in style_layers:
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module(f"style_loss_{i}", style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], (ContentLoss, StyleLoss)):
            break
    return model[: (i + 1)], style_losses, content_losses


model, style_losses, content_losses = get_style_model_and_losses(cnn, style_img, content_img)
print([name for name, _ in model.named_children()])
print(gram_matrix(model[:2](style_img)).shape)

activations = {}


def save_activation(name):
    def hook(module, inp, out):
        activations[name] = out.detach()
    return hook


handles = [model.conv_1.register_forward_hook(save_activation("conv_1")),
           model.pool_2.register_forward_hook(save_activation("pool_2"))]

input_img = content_img.clone()
input_img.requires_grad_(True)
model.eval()
model.requires_grad_(False)
optimizer = torch.optim.LBFGS([input_img], max_iter=20)
style_weight, content_weight = 1e5, 1
run = [0]  # two LBFGS steps of up to 20 evaluations (longer runs of this toy are chaotic)
while run[0] < 40:

    def closure():
        with torch.no_grad():
            input_img.clamp_(0, 1)
        optimizer.zero_grad()
        model(input_img)
        style_score = sum(sl.loss for sl in style_losses) * style_weight
        content_score = sum(cl.loss for cl in content_losses) * content_weight
        loss = style_score + content_score
        loss.backward()
        run[0] += 1
        if run[0] % 5 == 0:
            print(f"run {run[0]}: style loss {style_score.item():.6f} content loss {content_score.item():.6f}")
        return style_score + content_score

    optimizer.step(closure)

with torch.no_grad():
    input_img.clamp_(0, 1)
print(input_img.shape, input_img.requires_grad, input_img.grad is not None)
print(input_img[0, :, 0, :4])
print(sorted(activations), activations["conv_1"].shape, activations["pool_2"].shape)
for h in handles:
    h.remove()
print(len(model.conv_1._forward_hooks), all(not p.requires_grad for p in model.parameters()))
