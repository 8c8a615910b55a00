"""The "NLP From Scratch: classifying names with a character-level RNN" tutorial on a small
made-up name list: unicodeToAscii with unicodedata, one-hot letterToTensor / lineToTensor built by
item assignment (tensor[li][0][index] = 1), the hand-written RNN module (i2h / h2o on
torch.cat((input, hidden), 1), nn.LogSoftmax(dim=1), initHidden), categoryFromOutput with
output.topk(1) and top_i[0].item(), randomTrainingExample driven by Python's random module,
NLLLoss and the manual update p.data.add_(p.grad.data, alpha=-learning_rate), printing the
running average loss and "✓"/"✗ (correct)" lines, a normalised confusion matrix (confusion[i] /
confusion[i].sum()), and predict() with topk(3, 1, True) under torch.no_grad().

tolerance: rtol=2e-3 atol=1e-5
"""
import random
import string
import unicodedata

import torch
import torch.nn as nn

torch.manual_seed(0)
random.seed(0)

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)


def unicodeToAscii(s):
    return ''.join(c for c in unicodedata.normalize('NFD', s)
                   if unicodedata.category(c) != 'Mn' and c in all_letters)


print(n_letters, unicodeToAscii('Ślusàrski'), unicodeToAscii('Müller'))

category_lines = {
    'English': ['Smith', 'Jones', 'Taylor', 'Brown', 'Wilson', 'Walker', 'Wright', 'Green'],
    'Italian': ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci'],
    'Japanese': ['Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Ito', 'Yamamoto', 'Nakamura'],
    'Polish': ['Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński', 'Lewandowski', 'Zieliński'],
}
all_categories = list(category_lines.keys())
n_categories = len(all_categories)
category_lines = {k: [unicodeToAscii(n) for n in v] for k, v in category_lines.items()}
print(category_lines['Polish'][:4])


def letterToIndex(letter):
    return all_letters.find(letter)


def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(letterToTensor('J').nonzero(), lineToTensor('Jones').size())


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = torch.tanh(self.i2h(combined))
        output = self.h2o(hidden)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 32
rnn = RNN(n_letters, n_hidden, n_categories)
print(rnn)
output, next_hidden = rnn(letterToTensor('A'), rnn.initHidden())
print(output, next_hidden.shape)


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


print(categoryFromOutput(output))


def randomChoice(items):
    return items[random.randint(0, len(items) - 1)]


def randomTrainingExample():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    line_tensor = lineToTensor(line)
    return category, line, category_tensor, line_tensor


criterion = nn.NLLLoss()
learning_rate = 0.01


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


n_iters, print_every = 1200, 200
current_loss = 0
for iter in range(1, n_iters + 1):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output, loss = train(category_tensor, line_tensor)
    current_loss += loss
    if iter % print_every == 0:
        guess, guess_i = categoryFromOutput(output)
        correct = '✓' if guess == category else '✗ (%s)' % category
        print('%d %d%% %.4f %s / %s %s avg %.4f' % (iter, iter / n_iters * 100, loss, line, guess,
                                                    correct, current_loss / print_every))
        current_loss = 0


def evaluate(line_tensor):
    hidden = rnn.initHidden()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    return output


confusion = torch.zeros(n_categories, n_categories)
with torch.no_grad():
    for category in all_categories:
        for line in category_lines[category]:
            output = evaluate(lineToTensor(line))
            guess, guess_i = categoryFromOutput(output)
            confusion[all_categories.index(category)][guess_i] += 1
print(confusion)
for i in range(n_categories):
    confusion[i] = confusion[i] / confusion[i].sum()
print(confusion)
print(f"diag mean {confusion.diag().mean().item():.4f}")


def predict(input_line, n_predictions=3):
    print('\n> %s' % input_line)
    with torch.no_grad():
        output = evaluate(lineToTensor(input_line))
        topv, topi = output.topk(n_predictions, 1, True)
        predictions = []
        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            print('(%.2f) %s' % (value, all_categories[category_index]))
            predictions.append([value, all_categories[category_index]])
    return predictions


predict('Dovesky')
predict('Jackson')
print(predict('Satoshi')[0][1])
