"""NumPy interop and checked conversions, as notebooks mix them: from_numpy sharing memory, NumPy
ufuncs applied to tensors (they hand back tensors), type() printouts, Python numbers that do not
fit an integer dtype (caught), and preallocated out= buffers for the range factories."""
import warnings

import numpy as np
import torch

torch.manual_seed(0)
frame = np.arange(12, dtype=np.float32).reshape(3, 4)
t = torch.from_numpy(frame)
t[0, 0] = -1.0
print(frame[0, 0], type(t), t.dtype, type(torch.nn.Parameter(t.clone())))
print(torch.FloatTensor, isinstance(t, torch.FloatTensor), type(t.numpy()).__name__)

# NumPy ufuncs on tensors come back as tensors (bools as uint8)
scores = torch.randn(2, 3)
print(np.exp(scores), np.sqrt(scores.abs()).dtype)
print(np.maximum(scores, 0), np.greater(scores, 0))
loss = torch.tensor(2.25)
print(np.sqrt(loss), f"{np.log(loss):.4f}", np.clip(scores, -0.5, 0.5).shape)
print(np.concatenate([scores, scores]).shape, type(np.concatenate([scores, scores])).__name__)

# Python numbers into integer dtypes: checked, where arrays wrap
for data, dtype in [([1, 2, 300], torch.int8), ([-1, 255], torch.uint8), ([-256], torch.uint8), ([255.5], torch.uint8),
                    ([1.9, -1.9], torch.int32), ([float("nan")], torch.int64), ([2**40], torch.int32), ([2**63], torch.int64)]:
    try:
        print(data, "->", torch.tensor(data, dtype=dtype))
    except (RuntimeError, ValueError) as e:
        print(data, "->", type(e).__name__, e)
print(torch.tensor(np.array([300, -1]), dtype=torch.uint8), torch.as_tensor([7, 8], dtype=torch.int16))
try:
    torch.as_tensor([1000], dtype=torch.int8)
except RuntimeError as e:
    print("RuntimeError", e)

# preallocated buffers for the range factories
buf = torch.empty(2, 3)
torch.arange(6, out=buf)
print(buf)
torch.linspace(0, 1, 6, out=buf)
print(buf)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    torch.arange(0, 1, 0.25, out=buf)
    torch.linspace(0, 1, 3, out=buf)
    torch.cat([buf, buf], out=torch.empty(2))
for w in caught:
    print(w.category.__name__, str(w.message).split(" (Triggered")[0])
print(buf, buf.shape)
