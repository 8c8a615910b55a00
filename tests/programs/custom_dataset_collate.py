"""A map-style Dataset subclass, a custom collate_fn for variable-length items, samplers."""
import torch
from torch.utils.data import DataLoader, Dataset, SequentialSampler, WeightedRandomSampler


class Sentences(Dataset):
    def __init__(self):
        self.items = [[1, 2, 3], [4, 5], [6], [7, 8, 9, 10], [11, 12], [13, 14, 15]]
        self.labels = [0, 1, 0, 1, 1, 0]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        return torch.tensor(self.items[idx]), self.labels[idx]


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    return padded, lengths, torch.tensor(labels)


ds = Sentences()
print(len(ds), ds[3])
loader = DataLoader(ds, batch_size=4, collate_fn=collate, sampler=SequentialSampler(ds))
for padded, lengths, labels in loader:
    print(padded, lengths, labels)
loader = DataLoader(ds, batch_size=2, drop_last=True)
print(len(loader))
for x, y in DataLoader([(torch.ones(2) * i, i) for i in range(5)], batch_size=2):
    print(x, y)
batch = next(iter(DataLoader([{"a": torch.tensor([i, i]), "b": float(i)} for i in range(3)], batch_size=3)))
print(batch["a"], batch["b"], batch["b"].dtype)
sampler = WeightedRandomSampler([0.1, 0.9], num_samples=4, replacement=True)
print(len(list(sampler)))
