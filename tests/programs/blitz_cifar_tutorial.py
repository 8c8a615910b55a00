"""The "Deep Learning with PyTorch: a 60 minute blitz" CIFAR-10 classifier, written the way the
tutorial writes it, on synthetic 3x16x16 "images": a hand-made Normalize transform applied inside
a Dataset, a classes tuple indexed with 0-dim label tensors (f'{classes[labels[j]]:5s}'),
dataiter = iter(trainloader) / next(dataiter), the LeNet-style Net (conv1/pool/conv2, torch.flatten
(x, 1), fc1..fc3), CrossEntropyLoss + SGD(momentum=0.9), the running_loss print every 4
mini-batches, saving net.state_dict() to a BytesIO "PATH" and loading it into a fresh Net,
torch.max(outputs, 1) / torch.max(outputs.data, 1) predictions, overall accuracy and the
per-class accuracy dict loop from the tutorial.

tolerance: rtol=2e-3 atol=1e-5
"""
import io

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)

classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog')


def make_images(n, gen):
    labels = torch.randint(0, len(classes), (n,), generator=gen)
    imgs = torch.rand(n, 3, 16, 16, generator=gen) * 0.3
    for i in range(n):
        c = int(labels[i])
        ch = c % 3
        if c < 3:
            imgs[i, ch, 4:12, 4:12] += 0.7
        else:
            imgs[i, ch, :, 6:10] += 0.7
    return imgs, labels


class Normalize:
    def __init__(self, mean, std):
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __call__(self, img):
        return (img - self.mean) / self.std


class SyntheticCIFAR(torch.utils.data.Dataset):
    def __init__(self, n, seed, transform=None):
        self.data, self.targets = make_images(n, torch.Generator().manual_seed(seed))
        self.transform = transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, idx):
        img, target = self.data[idx], self.targets[idx]
        if self.transform is not None:
            img = self.transform(img)
        return img, target


transform = Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
batch_size = 4
trainset = SyntheticCIFAR(96, seed=1, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=batch_size, shuffle=True,
                                          num_workers=0)
testset = SyntheticCIFAR(48, seed=2, transform=transform)
testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size, shuffle=False,
                                         num_workers=0)

dataiter = iter(trainloader)
images, labels = next(dataiter)
print(images.shape, images.dtype, labels)
print(' '.join(f'{classes[labels[j]]:5s}' for j in range(batch_size)))
print(f'{images.mean().item():.4f} {images.std().item():.4f} {images.min().item():.4f}')


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 2 * 2, 60)
        self.fc2 = nn.Linear(60, 42)
        self.fc3 = nn.Linear(42, len(classes))

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()
print(net)
params = list(net.parameters())
print(len(params))
print(params[0].size())
print(sum(p.numel() for p in net.parameters()))

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

for epoch in range(3):  # loop over the dataset multiple times
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        # get the inputs; data is a list of [inputs, labels]
        inputs, labels = data

        # zero the parameter gradients
        optimizer.zero_grad()

        # forward + backward + optimize
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        # print statistics
        running_loss += loss.item()
        if i % 8 == 7:    # print every 8 mini-batches
            print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 8:.3f}')
            running_loss = 0.0

print('Finished Training')

PATH = io.BytesIO()
torch.save(net.state_dict(), PATH)
PATH.seek(0)

dataiter = iter(testloader)
images, labels = next(dataiter)
print('GroundTruth: ', ' '.join(f'{classes[labels[j]]:5s}' for j in range(4)))

net = Net()
print(net.load_state_dict(torch.load(PATH, weights_only=True)))
outputs = net(images)
_, predicted = torch.max(outputs, 1)
print('Predicted: ', ' '.join(f'{classes[predicted[j]]:5s}' for j in range(4)))
print(outputs.grad_fn is not None, _.shape, predicted.dtype)

correct = 0
total = 0
# since we're not training, we don't need to calculate the gradients for our outputs
with torch.no_grad():
    for data in testloader:
        images, labels = data
        # calculate outputs by running images through the network
        outputs = net(images)
        # the class with the highest energy is what we choose as prediction
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

print(f'Accuracy of the network on the {total} test images: {100 * correct // total} %')

# prepare to count predictions for each class
correct_pred = {classname: 0 for classname in classes}
total_pred = {classname: 0 for classname in classes}

# again no gradients needed
with torch.no_grad():
    for data in testloader:
        images, labels = data
        outputs = net(images)
        _, predictions = torch.max(outputs, 1)
        # collect the correct predictions for each class
        for label, prediction in zip(labels, predictions):
            if label == prediction:
                correct_pred[classes[label]] += 1
            total_pred[classes[label]] += 1

# print accuracy for each class
for classname, correct_count in correct_pred.items():
    accuracy = 100 * float(correct_count) / total_pred[classname]
    print(f'Accuracy for class: {classname:5s} is {accuracy:.1f} %')
print(correct_pred)
print(outputs[:2])
