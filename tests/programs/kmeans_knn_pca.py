"""Classic unsupervised and instance-based learning: k-means with torch.cdist/argmin and bincount,
kNN voting with topk(largest=False) and torch.mode, cdist with p=1/inf/0, PCA by svd, pca_lowrank,
svd_lowrank, eigh of torch.cov, corrcoef, svdvals, matrix_rank and cond."""
import torch
import torch.nn.functional as F

# k-means
torch.manual_seed(0)
X = torch.cat([torch.randn(50, 2) + torch.tensor([3., 3.]), torch.randn(50, 2) - 2, torch.randn(50, 2) * 0.5])
k = 3
C = X[torch.randperm(X.shape[0])[:k]].clone()
for it in range(10):
    d = torch.cdist(X, C)
    lab = d.argmin(dim=1)
    newC = torch.stack([X[lab == j].mean(0) for j in range(k)])
    shift = (newC - C).norm()
    C = newC
    print(it, f"{shift.item():.4f}")
print(C)
print(torch.bincount(lab, minlength=k))
print(d.shape, d.dtype, lab.dtype)
inertia = (d.min(dim=1).values ** 2).sum()
print(f"{inertia:.4f}")
# kNN
torch.manual_seed(1)
Xtr = torch.randn(100, 4)
ytr = torch.randint(0, 3, (100,))
Xte = torch.randn(10, 4)
dist = torch.cdist(Xte, Xtr, p=2)
vals, idx = dist.topk(5, largest=False)
print(vals[:2], idx[:2])
votes = ytr[idx]
pred = torch.mode(votes, dim=1)
print(pred)
print(torch.cdist(Xte, Xtr, p=1)[:2, :3])
print(torch.cdist(Xte, Xtr, p=float('inf'))[:2, :3])
print(torch.cdist(Xte.double(), Xtr.double(), p=0)[:2, :3])
print(torch.cdist(Xte[None], Xtr[None], compute_mode='use_mm_for_euclid_dist').shape)
# one-hot vote counting
oh = F.one_hot(votes, 3).sum(1)
print(oh, oh.dtype)
print(oh.argmax(1))
# PCA
torch.manual_seed(2)
A = torch.randn(200, 5) @ torch.randn(5, 5)
Am = A - A.mean(0, keepdim=True)
U, S, Vh = torch.linalg.svd(Am, full_matrices=False)
print(S)
ev = S**2 / (A.shape[0] - 1)
print(ev / ev.sum())
print(torch.cumsum(ev / ev.sum(), 0))
proj = Am @ Vh[:2].T
print(proj.shape, f"{proj.abs().mean():.4f}")
torch.manual_seed(3)
U2, S2, V2 = torch.pca_lowrank(A, q=3)
print(U2.shape, S2, V2.shape)
U3, S3, V3 = torch.svd_lowrank(A, q=3)
print(S3)
U4, S4, V4 = torch.svd(Am)
print(U4.shape, V4.shape)
cov = torch.cov(A.T)
print(cov.shape)
evals, evecs = torch.linalg.eigh(cov)
print(evals)
print(torch.corrcoef(A.T)[0])
print(torch.linalg.svdvals(Am))
print(torch.linalg.matrix_rank(Am), torch.linalg.cond(Am))
