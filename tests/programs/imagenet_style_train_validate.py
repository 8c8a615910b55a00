"""The pytorch/examples ImageNet script's utilities driving a transfer-learning run, on synthetic
data: the Summary enum, AverageMeter (updated with 0-dim tensors from accuracy(), formatted with
'{val:.3f} ({avg:.3f})'.format(**self.__dict__), its all_reduce-style torch.tensor([self.sum,
self.count]) built from tensors) and ProgressMeter; the accuracy(output, target, topk=(1, 3))
helper (topk, pred.t(), eq + expand_as, correct[:k].reshape(-1).float().sum(0, keepdim=True),
mul_(100.0 / batch_size)); the transfer-learning tutorial's "for phase in ['train', 'val']" loop
with torch.set_grad_enabled(phase == 'train'), a frozen backbone (requires_grad = False, a new fc
head sized from in_features), running_corrects.double() / dataset_sizes[phase], StepLR, a deepcopy
of the best state_dict restored at the end; and a final evaluation with a confusion matrix built
by index_put_(accumulate=True), checked against bincount, and per-class precision/recall.

tolerance: rtol=2e-3 atol=1e-5
"""
import copy
from enum import Enum

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
NUM_CLASSES = 5


class Summary(Enum):
    NONE = 0
    AVERAGE = 1
    SUM = 2
    COUNT = 3


class AverageMeter:
    """Computes and stores the average and current value"""

    def __init__(self, name, fmt=':f', summary_type=Summary.AVERAGE):
        self.name = name
        self.fmt = fmt
        self.summary_type = summary_type
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count

    def all_reduce(self):
        total = torch.tensor([self.sum, self.count], dtype=torch.float32)
        self.sum, self.count = total.tolist()
        self.avg = self.sum / self.count

    def __str__(self):
        fmtstr = '{name} {val' + self.fmt + '} ({avg' + self.fmt + '})'
        return fmtstr.format(**self.__dict__)

    def summary(self):
        if self.summary_type is Summary.AVERAGE:
            fmtstr = '{name} {avg:.3f}'
        elif self.summary_type is Summary.SUM:
            fmtstr = '{name} {sum:.3f}'
        else:
            fmtstr = '{name} {count:.3f}'
        return fmtstr.format(**self.__dict__)


class ProgressMeter:
    def __init__(self, num_batches, meters, prefix=""):
        self.batch_fmtstr = self._get_batch_fmtstr(num_batches)
        self.meters = meters
        self.prefix = prefix

    def display(self, batch):
        entries = [self.prefix + self.batch_fmtstr.format(batch)]
        entries += [str(meter) for meter in self.meters]
        print('\t'.join(entries))

    def display_summary(self):
        entries = [" *"]
        entries += [meter.summary() for meter in self.meters]
        print(' '.join(entries))

    def _get_batch_fmtstr(self, num_batches):
        num_digits = len(str(num_batches // 1))
        fmt = '{:' + str(num_digits) + 'd}'
        return '[' + fmt + '/' + fmt.format(num_batches) + ']'


def accuracy(output, target, topk=(1,)):
    """Computes the accuracy over the k top predictions for the specified values of k"""
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res


# -- data and a "pretrained" backbone
centers = torch.randn(NUM_CLASSES, 12) * 1.5
labels = torch.arange(200) % NUM_CLASSES
feats = centers[labels] + torch.randn(200, 12)
full = TensorDataset(feats, labels)
train_set, val_set = random_split(full, [150, 50], generator=torch.Generator().manual_seed(42))
dataloaders = {
    'train': DataLoader(train_set, batch_size=16, shuffle=True, drop_last=True),
    'val': DataLoader(val_set, batch_size=16),
}
dataset_sizes = {'train': (len(train_set) // 16) * 16, 'val': len(val_set)}
print(dataset_sizes, len(dataloaders['train']), len(dataloaders['val']))


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(12, 32), nn.BatchNorm1d(32), nn.ReLU(),
                                      nn.Linear(32, 16), nn.ReLU())
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(self.features(x))


model = Backbone()
for param in model.parameters():
    param.requires_grad = False
num_ftrs = model.fc.in_features
model.fc = nn.Linear(num_ftrs, NUM_CLASSES)
print(model)
print([n for n, p in model.named_parameters() if p.requires_grad])
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.05, momentum=0.9)
scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

best_model_wts = copy.deepcopy(model.state_dict())
best_acc = 0.0
for epoch in range(4):
    print(f'Epoch {epoch}/{3}')
    for phase in ['train', 'val']:
        model.train() if phase == 'train' else model.eval()
        losses = AverageMeter('Loss', ':.4e')
        top1 = AverageMeter('Acc@1', ':6.2f')
        top3 = AverageMeter('Acc@3', ':6.2f')
        progress = ProgressMeter(len(dataloaders[phase]), [losses, top1, top3],
                                 prefix=f"{phase}: [{epoch}]")
        running_loss, running_corrects = 0.0, 0
        for i, (inputs, targets) in enumerate(dataloaders[phase]):
            optimizer.zero_grad()
            with torch.set_grad_enabled(phase == 'train'):
                outputs = model(inputs)
                _, preds = torch.max(outputs, 1)
                loss = criterion(outputs, targets)
                if phase == 'train':
                    loss.backward()
                    optimizer.step()
            acc1, acc3 = accuracy(outputs, targets, topk=(1, 3))
            losses.update(loss.item(), inputs.size(0))
            top1.update(acc1[0], inputs.size(0))
            top3.update(acc3[0], inputs.size(0))
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == targets.data)
            if i % 4 == 0:
                progress.display(i + 1)
        if phase == 'train':
            scheduler.step()
        epoch_loss = running_loss / dataset_sizes[phase]
        epoch_acc = running_corrects.double() / dataset_sizes[phase]
        print(f'{phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}', epoch_acc.dtype)
        top1.all_reduce()
        progress.display_summary()
        if phase == 'val' and epoch_acc > best_acc:
            best_acc = epoch_acc
            best_model_wts = copy.deepcopy(model.state_dict())
print(f'Best val Acc: {best_acc:4f}', type(top1.sum).__name__, scheduler.get_last_lr())
model.load_state_dict(best_model_wts)

# -- fine-tune everything for one epoch with a smaller lr
for param in model.parameters():
    param.requires_grad_(True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
model.train()
for inputs, targets in dataloaders['train']:
    optimizer.zero_grad()
    loss = F.cross_entropy(model(inputs), targets)
    loss.backward()
    optimizer.step()
print(f'fine-tune loss {loss.item():.4f}', model.features[1].running_mean[:3])

# -- evaluation: confusion matrix and per-class metrics
model.eval()
all_preds, all_targets = [], []
with torch.no_grad():
    for inputs, targets in dataloaders['val']:
        probs = F.softmax(model(inputs), dim=1)
        all_preds.append(probs.argmax(dim=1))
        all_targets.append(targets)
preds, targets = torch.cat(all_preds), torch.cat(all_targets)
confusion = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.int64)
confusion.index_put_((targets, preds), torch.ones_like(preds), accumulate=True)
print(confusion)
print(torch.equal(confusion, torch.bincount(targets * NUM_CLASSES + preds,
                                            minlength=NUM_CLASSES ** 2).view(NUM_CLASSES, -1)))
tp = confusion.diag().float()
precision = tp / confusion.sum(0).clamp(min=1)
recall = tp / confusion.sum(1).clamp(min=1)
f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-8)
for c in range(NUM_CLASSES):
    print(f'class {c}: precision {precision[c]:.3f} recall {recall[c]:.3f} f1 {f1[c]:.3f}')
print(f'macro f1 {f1.mean():.4f} accuracy {tp.sum() / confusion.sum():.4f}')
print(probs[:2], probs.topk(2, dim=1).indices[:4])
