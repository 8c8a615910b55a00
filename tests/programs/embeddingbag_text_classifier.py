"""Text classification in the style of the torchtext tutorial: a tokenizer and vocabulary built by
hand, a collate_fn producing flat token ids plus offsets, nn.EmbeddingBag(mode="mean"), SGD with
StepLR and gradient clipping, and predicting new sentences. Also EmbeddingBag with per_sample_weights.

tolerance: rtol=2e-3 atol=1e-5
"""
from collections import Counter

import torch
from torch import nn
from torch.utils.data import DataLoader

torch.manual_seed(0)

train_iter = [
    (1, "stocks rallied as the market closed higher on strong earnings"),
    (2, "the home team won the championship game in overtime"),
    (3, "new smartphone chip promises faster processing and longer battery"),
    (0, "leaders met to discuss the peace treaty and trade sanctions"),
    (1, "the central bank raised interest rates to fight inflation"),
    (2, "the striker scored twice as the club won the league"),
    (3, "researchers unveiled a quantum computer with more qubits"),
    (0, "the president signed the treaty after talks with leaders"),
    (1, "oil prices fell and the market slipped on weak demand"),
    (2, "the coach praised the team after the game"),
    (3, "the software update improves battery life and processing"),
    (0, "sanctions were lifted after the peace talks"),
] * 3
labels_text = ["World", "Business", "Sports", "Sci/Tec"]


def tokenizer(s):
    return s.lower().split()


counter = Counter(tok for _, text in train_iter for tok in tokenizer(text))
itos = ["<unk>"] + sorted(counter, key=lambda w: (-counter[w], w))
stoi = {w: i for i, w in enumerate(itos)}


def text_pipeline(s):
    return [stoi.get(t, 0) for t in tokenizer(s)]


print(len(itos), itos[:5], text_pipeline("here is the market example"))


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for label, text in batch:
        label_list.append(label)
        processed = torch.tensor(text_pipeline(text), dtype=torch.int64)
        text_list.append(processed)
        offsets.append(processed.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list, text_list, offsets


labels, text, offsets = collate_batch(train_iter[:3])
print(labels, text.shape, offsets)


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean")
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


model = TextClassificationModel(len(itos), 16, 4)
print(model)
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.5)
loader = DataLoader(train_iter, batch_size=8, shuffle=True, collate_fn=collate_batch)

for epoch in range(1, 6):
    model.train()
    total_acc, total_count, total_loss = 0, 0, 0.0
    for label, text, offsets in loader:
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
        total_loss += loss.item()
    scheduler.step()
    print(f"| epoch {epoch} | loss {total_loss / len(loader):.4f} | accuracy {total_acc / total_count:.4f} "
          f"| lr {scheduler.get_last_lr()[0]:.4f}")


def predict(text):
    with torch.no_grad():
        text = torch.tensor(text_pipeline(text))
        output = model(text, torch.tensor([0]))
        return output.argmax(1).item(), output


for s in ["the team won the game", "the market rallied on earnings", "a faster chip for the computer",
          "leaders discuss sanctions"]:
    idx, out = predict(s)
    print(f"{labels_text[idx]:9s}", out)

# mode="sum" with per_sample_weights, and 2-D input without offsets
bag = nn.EmbeddingBag(10, 3, mode="sum")
inp = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
offs = torch.tensor([0, 4])
weights = torch.linspace(0.1, 0.8, 8, requires_grad=True)
out = bag(inp, offs, per_sample_weights=weights)
out.sum().backward()
print(out, weights.grad)
print(bag.weight.grad[[0, 2, 4]])
bag_max = nn.EmbeddingBag(10, 3, mode="max")
print(bag_max(torch.tensor([[1, 2, 4], [4, 3, 9]])).shape, bag_max.mode)
