"""Signal-processing and numerical-calculus helpers in float64: spectral windows (hann, hamming,
blackman, kaiser, bartlett; symmetric ends that must print as exact zeros), fftfreq/fftshift,
trapezoid / cumulative_trapezoid, diff, torch.gradient with spacing and edge_order, quantile with
every interpolation, nanquantile."""
import math
import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
print(torch.get_default_dtype())

# --- signal & FFT
fs = 1000.0
t = torch.arange(0, 1.0, 1 / fs)
print(t.shape, t.dtype)
sig = torch.sin(2 * math.pi * 50 * t) + 0.5 * torch.sin(2 * math.pi * 120 * t) + 0.1 * torch.randn(t.shape)
freqs = torch.fft.rfftfreq(sig.numel(), d=1 / fs)
print(freqs[:5], freqs.dtype)
f2 = torch.fft.fftfreq(8)
print(f2)
print(torch.fft.fftshift(f2))
print(torch.fft.ifftshift(torch.fft.fftshift(f2)))
win = torch.hann_window(128)
print(win.dtype, win[:4])
print(torch.hamming_window(5), torch.blackman_window(5, periodic=False))
print(torch.kaiser_window(6), torch.bartlett_window(5))
print(torch.fft.fftfreq(5, d=0.1), torch.fft.fftshift(torch.arange(12).reshape(3, 4)))
print(torch.fft.fftshift(torch.arange(12).reshape(3, 4), dim=1))
# --- integration & differences
torch.manual_seed(3)
x = torch.linspace(0, math.pi, 101)
y = torch.sin(x)
print(f"{torch.trapezoid(y, x).item():.6f}")
print(f"{torch.trapezoid(y, dx=x[1] - x[0]).item():.6f}")
ct = torch.cumulative_trapezoid(y, x)
print(ct.shape, f"{ct[-1].item():.6f}")
d = torch.diff(y)
print(d.shape, torch.diff(y, n=2).shape, torch.diff(y, prepend=y[:1]).shape)
g, = torch.gradient(y, spacing=(x,))
print(g.shape, f"{(g - torch.cos(x)).abs().max().item():.4f}")
g2, = torch.gradient(y, spacing=0.1)
print(f"{g2[0].item():.4f}")
g3 = torch.gradient(torch.randn(4, 5), spacing=[0.5, 2.0], edge_order=2)
print(len(g3), g3[0].shape)
gx, gy = torch.gradient(torch.outer(x[:5], x[:6]), dim=(0, 1))
print(gx.shape, gy[0, :3])
q = torch.quantile(y, torch.tensor([0.1, 0.5, 0.9]))
print(q)
print(torch.quantile(torch.randn(3, 10), 0.5, dim=1, keepdim=True).shape)
print(torch.quantile(y, 0.3, interpolation="nearest"), torch.nanquantile(torch.tensor([1.0, float('nan'), 3.0]), 0.5))
print(torch.trapz(y, x).item().__format__('.4f'))
