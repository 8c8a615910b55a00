"""A toy DDPM on 2-D moons: linear and cosine (float64) beta schedules, cumprod, F.pad of the
shifted products, gather-based extract of schedule values, sinusoidal time embeddings, a denoiser
trained with smooth_l1, ancestral sampling under no_grad into NumPy, a DDIM-style deterministic
pass under inference_mode, and classifier-free-guidance lerp."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

def linear_beta_schedule(T, start=1e-4, end=0.02):
    return torch.linspace(start, end, T)

def cosine_beta_schedule(T, s=0.008):
    steps = T + 1
    x = torch.linspace(0, T, steps, dtype=torch.float64)
    ac = torch.cos(((x / T) + s) / (1 + s) * math.pi * 0.5) ** 2
    ac = ac / ac[0]
    betas = 1 - (ac[1:] / ac[:-1])
    return torch.clip(betas, 0.0001, 0.9999)

T = 50
betas = linear_beta_schedule(T)
cb = cosine_beta_schedule(T)
print(cb.dtype, cb[:4], cb[-3:])
alphas = 1.0 - betas
alphas_cumprod = torch.cumprod(alphas, axis=0)
alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
sqrt_recip_alphas = torch.sqrt(1.0 / alphas)
sqrt_ac = torch.sqrt(alphas_cumprod)
sqrt_1mac = torch.sqrt(1. - alphas_cumprod)
posterior_variance = betas * (1. - alphas_cumprod_prev) / (1. - alphas_cumprod)
print(alphas_cumprod_prev[:3], posterior_variance[:3])

def extract(a, t, x_shape):
    batch_size = t.shape[0]
    out = a.gather(-1, t.cpu())
    return out.reshape(batch_size, *((1,) * (len(x_shape) - 1))).to(t.device)

class SinusoidalPositionEmbeddings(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, time):
        device = time.device
        half_dim = self.dim // 2
        embeddings = math.log(10000) / (half_dim - 1)
        embeddings = torch.exp(torch.arange(half_dim, device=device) * -embeddings)
        embeddings = time[:, None] * embeddings[None, :]
        embeddings = torch.cat((embeddings.sin(), embeddings.cos()), dim=-1)
        return embeddings

class Denoiser(nn.Module):
    def __init__(self, d=2, h=64, temb=16):
        super().__init__()
        self.temb = nn.Sequential(SinusoidalPositionEmbeddings(temb), nn.Linear(temb, h), nn.GELU())
        self.net = nn.Sequential(nn.Linear(d + h, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU(), nn.Linear(h, d))

    def forward(self, x, t):
        return self.net(torch.cat([x, self.temb(t)], dim=1))

def q_sample(x_start, t, noise=None):
    if noise is None:
        noise = torch.randn_like(x_start)
    return extract(sqrt_ac, t, x_start.shape) * x_start + extract(sqrt_1mac, t, x_start.shape) * noise

def make_moons(n):
    theta = torch.rand(n) * math.pi
    x = torch.stack([torch.cos(theta), torch.sin(theta)], 1)
    flip = torch.rand(n) < 0.5
    x[flip] = torch.stack([1 - torch.cos(theta[flip]), 0.5 - torch.sin(theta[flip])], 1)
    return x + 0.05 * torch.randn_like(x)

torch.manual_seed(1)
data = make_moons(512)
print(data.shape, data.mean(0))
model = Denoiser()
print(model)
opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
for step in range(100):
    idx = torch.randint(0, data.shape[0], (128,))
    x0 = data[idx]
    t = torch.randint(0, T, (x0.shape[0],), device=x0.device).long()
    noise = torch.randn_like(x0)
    xt = q_sample(x0, t, noise)
    pred = model(xt, t)
    loss = F.smooth_l1_loss(noise, pred)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 50 == 0:
        print(f"step {step} loss {loss.item():.4f}")

@torch.no_grad()
def p_sample(model, x, t, t_index):
    betas_t = extract(betas, t, x.shape)
    sqrt_one_minus_alphas_cumprod_t = extract(sqrt_1mac, t, x.shape)
    sqrt_recip_alphas_t = extract(sqrt_recip_alphas, t, x.shape)
    model_mean = sqrt_recip_alphas_t * (x - betas_t * model(x, t) / sqrt_one_minus_alphas_cumprod_t)
    if t_index == 0:
        return model_mean
    posterior_variance_t = extract(posterior_variance, t, x.shape)
    noise = torch.randn_like(x)
    return model_mean + torch.sqrt(posterior_variance_t) * noise

@torch.no_grad()
def p_sample_loop(model, shape):
    b = shape[0]
    img = torch.randn(shape)
    imgs = []
    for i in reversed(range(0, T)):
        img = p_sample(model, img, torch.full((b,), i, dtype=torch.long), i)
        imgs.append(img.cpu().numpy())
    return imgs

torch.manual_seed(2)
samples = p_sample_loop(model, (64, 2))
print(len(samples), samples[-1].shape, samples[-1].dtype)
print(f"{samples[-1].mean():.4f} {samples[-1].std():.4f}")
x = torch.from_numpy(samples[-1])
print(x.requires_grad, x.dtype, x[:2])

# DDIM-ish deterministic step
torch.manual_seed(3)
with torch.inference_mode():
    x = torch.randn(8, 2)
    for i in reversed(range(0, T, 10)):
        t = torch.full((8,), i, dtype=torch.int64)
        eps = model(x, t)
        a_t = alphas_cumprod[i]
        a_prev = alphas_cumprod[i - 10] if i >= 10 else torch.tensor(1.0)
        x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    print(x.is_inference(), x[:3])
# classifier-free guidance style interpolation
torch.manual_seed(4)
uncond = torch.randn(4, 2)
cond = torch.randn(4, 2)
w = 3.0
print(torch.lerp(uncond, cond, w), uncond + w * (cond - uncond))
print(torch.cumprod(torch.tensor([0.9, 0.8, 0.7], dtype=torch.float64), 0))
print(alphas_cumprod.dtype, alphas_cumprod[[0, 10, 49]])
t = torch.tensor([0, 10, 49])
print(sqrt_ac.gather(-1, t), sqrt_ac[t].view(-1, 1, 1, 1).shape)
