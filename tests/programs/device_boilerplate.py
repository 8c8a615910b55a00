"""The device-selection boilerplate most scripts start with."""
import torch
import torch.nn as nn

device = (
    "cuda"
    if torch.cuda.is_available()
    else "mps"
    if torch.backends.mps.is_available()
    else "cpu"
)
print(f"Using {device} device")
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device, device.type, str(device) == "cpu")
torch.manual_seed(42)
torch.cuda.manual_seed_all(42)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
print(torch.cuda.device_count())
model = nn.Linear(3, 2).to(device)
x = torch.ones(4, 3, device=device)
x = x.to(device, non_blocking=True)
y = model(x)
print(y.shape, y.device, y.device == device, x.is_cuda)
print(torch.zeros(2, device="cpu").device, torch.tensor([1, 2], device=device).device)
print(x.cpu().numpy().shape)
print(next(model.parameters()).device)
t = torch.arange(3.0)
print(t.to(torch.float64).dtype, t.to("cpu", torch.int32).dtype, t.to(x).dtype)
print(t.to(device="cpu", dtype=torch.float16).dtype)
# version checks scripts make before choosing an API
major, minor = (int(part) for part in torch.__version__.split(".")[:2])
print("torch >= 2.0:", (major, minor) >= (2, 0), "cuda build:", torch.version.cuda is not None,
      torch.version.__version__ == torch.__version__)
