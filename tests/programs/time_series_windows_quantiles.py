"""Time-series preprocessing and forecast metrics: sliding windows (unfold, stack of slices), running
statistics, lag features with roll and F.pad modes, seasonal decomposition by avg_pool1d and
conv1d padding='same', quantile/nanquantile interpolation modes, pinball/MAPE/SMAPE losses,
cumulative ops over time, diff/gradient, and the grad_fn names of median/quantile/mode."""
import torch
import torch.nn.functional as F

torch.manual_seed(0)
t = torch.arange(200, dtype=torch.float32)
series = torch.sin(t * 0.1) + 0.05 * t + 0.1 * torch.randn(200)
print(series.shape, series.dtype)

# sliding windows with unfold
win = series.unfold(0, 24, 6)
print("unfold", win.shape, win.stride(), win.is_contiguous())
print(win[:2, :5])
X = win[:, :-1]
y = win[:, -1]
print(X.shape, y.shape)
xs = torch.stack([series[i:i + 12] for i in range(0, 48, 12)])
print(xs.shape)
print(torch.stack([series[i:i+3] for i in range(3)], dim=1))

# running normalisation
mean = series.mean()
std = series.std(unbiased=True)
z = (series - mean) / std
print(f"{mean:.4f} {std:.4f} {z.abs().max():.4f}")
cm = series.cumsum(0) / torch.arange(1, 201)
print(cm[-5:])
m2 = torch.var_mean(series, correction=0)
print(m2)
print(torch.std_mean(series[:10], dim=0, keepdim=True))

# lag features
lag1 = torch.roll(series, 1)
lag1[0] = float('nan')
print(lag1[:4])
lags = torch.stack([torch.roll(series, k) for k in (1, 2, 7)], dim=-1)
print(lags.shape, lags[7])
pad = F.pad(series[:10].view(1, 1, -1), (3, 0), mode='replicate')
print(pad)
pad2 = F.pad(series[:6], (2, 0), value=0.)
print(pad2)
pad3 = F.pad(series[:6].view(1,1,-1), (2, 2), mode='reflect')
print(pad3)
pad4 = F.pad(series[:6].view(1,1,-1), (2, 2), mode='circular')
print(pad4)

# seasonal decomposition
x = series.view(1, 1, -1)
k = 7
trend = F.avg_pool1d(F.pad(x, ((k - 1) // 2, (k - 1) // 2), mode='replicate'), kernel_size=k, stride=1)
print(trend.shape, trend[0, 0, :5])
trend2 = F.avg_pool1d(x, k, stride=1, padding=3, count_include_pad=False)
print(trend2.shape, trend2[0, 0, :5])
trend3 = F.avg_pool1d(x, k, stride=1, padding=3)
print(trend3[0, 0, :5])
w = torch.ones(1, 1, k) / k
trend4 = F.conv1d(x, w, padding='same')
print(trend4.shape, trend4[0, 0, :5])
trend5 = F.conv1d(x, torch.ones(1, 1, 4) / 4, padding='same')
print(trend5.shape, trend5[0, 0, :5], trend5[0, 0, -3:])
conv = torch.nn.Conv1d(1, 2, 4, padding='same', dilation=2)
print(conv, conv(x).shape)
conv = torch.nn.Conv1d(1, 2, 5, padding='same', padding_mode='replicate')
print(conv, conv(x).shape)
seasonal = (x - trend).squeeze()
print(seasonal[:5])
period = 12
sidx = torch.arange(200) % period
seas_means = torch.zeros(period).scatter_reduce(0, sidx, seasonal, reduce='mean', include_self=False)
print(seas_means)
try:
    F.conv1d(x, w, padding='same', stride=2)
except RuntimeError as e:
    print(type(e).__name__, e)
try:
    F.conv1d(x, w, padding='valid')
    print("valid ok", F.conv1d(x, w, padding='valid').shape)
except RuntimeError as e:
    print(type(e).__name__, e)
mp = F.max_pool1d(x, 5, stride=1, padding=2)
print(mp.shape)
print(F.max_pool1d(x, 5, return_indices=True)[1][0, 0, :5])
print(F.adaptive_avg_pool1d(x, 10)[0,0])
torch.manual_seed(1)
y = torch.randn(8, 5)
q = torch.tensor([0.1, 0.5, 0.9])
for mode in ['linear', 'lower', 'higher', 'midpoint', 'nearest']:
    r = torch.quantile(y, q, dim=1, keepdim=False, interpolation=mode)
    print(mode, r.shape, r[:, :2])
print(torch.quantile(y, 0.3))
print(torch.quantile(y, 0.3, dim=0, keepdim=True).shape)
print(torch.quantile(y, q, dim=0, keepdim=True).shape)
yn = y.clone()
yn[0, 1] = float('nan')
yn[3, :3] = float("nan")
print(torch.nanquantile(yn, 0.5, dim=1))
print(torch.quantile(yn, 0.5, dim=1))
print(torch.nanquantile(yn, q, dim=1, interpolation='nearest'))
print(yn.nanquantile(0.25))
print(torch.nanmedian(yn, dim=1))
print(torch.nanmedian(yn))
print(torch.median(yn, dim=1))
print(torch.nanmean(yn, dim=0))
print(yn.nansum(1))
try:
    torch.quantile(y, 1.5)
except RuntimeError as e:
    print(type(e).__name__, e)
try:
    torch.quantile(y.long(), 0.5)
except RuntimeError as e:
    print(type(e).__name__, e)
try:
    torch.quantile(y, torch.tensor([0.5], dtype=torch.float64))
except RuntimeError as e:
    print(type(e).__name__, e)
try:
    torch.quantile(y, 0.5, interpolation='cubic')
except RuntimeError as e:
    print(type(e).__name__, e)
print(torch.quantile(y.double(), 0.5).dtype)

# pinball loss
torch.manual_seed(2)
preds = torch.randn(16, 3, requires_grad=True)
target = torch.randn(16, 1)
err = target - preds
loss = torch.max((q - 1) * err, q * err).mean()
loss.backward()
print(f"{loss.item():.4f}", preds.grad.sum(0))
l2 = torch.where(err >= 0, q * err, (q - 1) * err).sum(dim=1).mean()
print(f"{l2:.4f}")

# MAPE / SMAPE
a = torch.rand(20) * 10
f = a + torch.randn(20)
mape = ((a - f).abs() / a.abs().clamp(min=1e-8)).mean() * 100
smape = (2 * (a - f).abs() / (a.abs() + f.abs()).clamp_min(1e-8)).mean() * 100
print(f"{mape:.4f} {smape:.4f}")
print(F.l1_loss(f, a), F.smooth_l1_loss(f, a, beta=0.5), F.huber_loss(f, a, delta=0.3))
print(torch.clamp(a - 5, min=torch.tensor(0.0)), a.clip(2, 4)[:3])
wape = (a - f).abs().sum() / a.abs().sum()
print(wape)

# cumulative ops
torch.manual_seed(3)
x = torch.randn(10)
print(torch.cumsum(x, 0))
print(torch.cumprod(1 + 0.01 * x, dim=0))
v, i = torch.cummax(x, dim=0)
print(v, i)
print(torch.cummin(x, 0))
print(torch.logcumsumexp(x, 0))
print(x.cumsum(0, dtype=torch.float64).dtype)
print(torch.cumsum(torch.arange(5), 0).dtype)
print(torch.cumsum(torch.tensor([True, False, True]), 0))
drawdown = x.cumsum(0) - x.cumsum(0).cummax(0).values
print(drawdown.min())
m2 = torch.randn(3, 4)
print(torch.logcumsumexp(m2, dim=1))
print(m2.cummax(dim=-1).indices)

# diff / gradient
t = torch.linspace(0, 1, 11)
s = t ** 2
print(torch.diff(s))
print(torch.diff(s, n=2))
print(torch.diff(s, prepend=torch.tensor([0.])))
print(torch.diff(s, append=s[-1:]))
print(torch.diff(m2, dim=0))
print(torch.gradient(s))
print(torch.gradient(s, spacing=0.1))
print(torch.gradient(s, spacing=(t,)))
print(torch.gradient(s, spacing=[t], edge_order=2))
print(torch.gradient(m2, dim=1))
print(torch.gradient(m2))
print(torch.gradient(m2, spacing=2.0, dim=0, edge_order=2))
print(torch.diff(torch.tensor([1, 5, 2])), torch.diff(torch.tensor([True, False, False])))

x = torch.randn(3, 4, requires_grad=True)
print(torch.median(x, 1).values.grad_fn.name(), torch.nanmedian(x, 1).values.grad_fn.name(), torch.nanmedian(x).grad_fn.name())
print(torch.mode(x, 1).values.grad_fn.name(), torch.quantile(x, 0.5, dim=1).grad_fn.name())
print(torch.quantile(x, torch.tensor([0.1, 0.9]), dim=0))
