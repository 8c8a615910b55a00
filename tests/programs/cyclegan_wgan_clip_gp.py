"""Three GAN recipes beyond DCGAN: a CycleGAN step (ReflectionPad2d + InstanceNorm2d ResNet
generators with ConvTranspose2d output_padding, GroupNorm PatchGAN critics, itertools.chain
optimizers, a LambdaLR linear decay, the image-history pool, LSGAN MSE on expand_as'd targets, L1
cycle and identity losses, requires_grad toggling); the original WGAN (RMSprop, weight clipping
with p.data.clamp_, backward(one) / backward(mone), Variable); and WGAN-GP on images, whose
penalty takes the input gradient of a padded conv critic (create_graph=True) and flattens it
with .view(n, -1) before .norm(2, dim=1), plus a minibatch-stddev feature.
"""
import itertools
import random
import torch
import torch.nn as nn
from torch.autograd import Variable
import torch.autograd as autograd

torch.manual_seed(0)
random.seed(0)


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.Dropout(0.5), nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.conv_block(x)


def make_G():
    return nn.Sequential(
        nn.ReflectionPad2d(3), nn.Conv2d(3, 8, 7), nn.InstanceNorm2d(8), nn.ReLU(True),
        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.InstanceNorm2d(16), nn.ReLU(True),
        ResnetBlock(16),
        nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.InstanceNorm2d(8), nn.ReLU(True),
        nn.ReflectionPad2d(3), nn.Conv2d(8, 3, 7), nn.Tanh())


def make_D():
    return nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1), nn.LeakyReLU(0.2, True),
                         nn.Conv2d(8, 16, 4, 1, 1), nn.GroupNorm(4, 16), nn.LeakyReLU(0.2, True),
                         nn.Conv2d(16, 1, 4, 1, 1))


class ImagePool:
    def __init__(self, pool_size):
        self.pool_size = pool_size
        self.num_imgs = 0
        self.images = []

    def query(self, images):
        return_images = []
        for image in images:
            image = torch.unsqueeze(image.data, 0)
            if self.num_imgs < self.pool_size:
                self.num_imgs = self.num_imgs + 1
                self.images.append(image)
                return_images.append(image)
            else:
                p = random.uniform(0, 1)
                if p > 0.5:
                    random_id = random.randint(0, self.pool_size - 1)
                    tmp = self.images[random_id].clone()
                    self.images[random_id] = image
                    return_images.append(tmp)
                else:
                    return_images.append(image)
        return torch.cat(return_images, 0)


G_AB, G_BA, D_A, D_B = make_G(), make_G(), make_D(), make_D()
print(G_AB[7])
print(D_A)
optG = torch.optim.Adam(itertools.chain(G_AB.parameters(), G_BA.parameters()), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
lam_rule = lambda epoch: 1.0 - max(0, epoch + 1 - 2) / float(3)
schG = torch.optim.lr_scheduler.LambdaLR(optG, lr_lambda=lam_rule)
pool = ImagePool(3)
gan_loss = nn.MSELoss()
l1 = nn.L1Loss()
for epoch in range(4):
    A = torch.rand(2, 3, 8, 8) * 2 - 1
    B = torch.rand(2, 3, 8, 8) * 2 - 1
    for net in (D_A, D_B):
        for p in net.parameters():
            p.requires_grad = False
    fake_B = G_AB(A)
    rec_A = G_BA(fake_B)
    pred = D_B(fake_B)
    target_real = torch.tensor(1.0).expand_as(pred)
    loss_G = gan_loss(pred, target_real) + 10 * l1(rec_A, A) + 5 * l1(G_AB(B), B)
    optG.zero_grad()
    loss_G.backward()
    optG.step()
    for net in (D_A, D_B):
        net.requires_grad_(True)
    fb = pool.query(fake_B)
    pr, pf = D_B(B), D_B(fb.detach())
    loss_D = 0.5 * (gan_loss(pr, torch.ones_like(pr)) + gan_loss(pf, torch.zeros_like(pf)))
    optD.zero_grad()
    loss_D.backward()
    optD.step()
    schG.step()
    print(f"{epoch} G {loss_G.item():.4f} D {loss_D.item():.4f} lr {optG.param_groups[0]['lr']:.6f} pool {len(pool.images)} {fb.shape}")
print(pred.shape, target_real.stride(), target_real.is_contiguous())

# WGAN (clipping) with RMSprop and backward(one/mone)
torch.manual_seed(1)
netD = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
netG = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
oD = torch.optim.RMSprop(netD.parameters(), lr=5e-5)
oG = torch.optim.RMSprop(netG.parameters(), lr=5e-5)
one = torch.tensor(1, dtype=torch.float)
mone = one * -1
print(one, mone, one.dtype)
for it in range(3):
    for p in netD.parameters():
        p.data.clamp_(-0.01, 0.01)
    real = Variable(torch.randn(8, 2) + 2)
    noise = torch.randn(8, 4)
    netD.zero_grad()
    errD_real = netD(real).mean()
    errD_real.backward(one)
    fake = Variable(netG(noise).data)
    errD_fake = netD(fake).mean()
    errD_fake.backward(mone)
    errD = errD_real - errD_fake
    oD.step()
    netG.zero_grad()
    errG = netD(netG(torch.randn(8, 4))).mean()
    errG.backward(one)
    oG.step()
    print(f"{it} {errD.item():.6f} {errG.item():.6f}")

# WGAN-GP 4D
torch.manual_seed(2)
critic = make_D()
real = torch.rand(3, 3, 8, 8)
fake = torch.rand(3, 3, 8, 8)
alpha = torch.rand(3, 1)
alpha = alpha.expand(3, real.nelement() // 3).contiguous().view(3, 3, 8, 8)
interpolates = alpha * real + ((1 - alpha) * fake)
interpolates = autograd.Variable(interpolates, requires_grad=True)
disc_interpolates = critic(interpolates)
gradients = autograd.grad(outputs=disc_interpolates, inputs=interpolates,
                          grad_outputs=torch.ones(disc_interpolates.size()),
                          create_graph=True, retain_graph=True, only_inputs=True)[0]
gradients = gradients.view(gradients.size(0), -1)
gp = ((gradients.norm(2, dim=1) - 1) ** 2).mean() * 10
gp.backward()
print(gp, critic[0].weight.grad.abs().sum())
eps = torch.rand(3, 1, 1, 1, requires_grad=False)
x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
d_hat = critic(x_hat)
g = torch.autograd.grad(d_hat.sum(), x_hat, create_graph=True)[0]
print(g.shape, g.flatten(start_dim=1).norm(p=2, dim=1))
# minibatch std layer
x = torch.randn(4, 3, 2, 2)
y = torch.std(x, dim=0, unbiased=False).mean().expand(4, 1, 2, 2)
print(torch.cat([x, y], 1).shape, y[0, 0])
print(torch.var_mean(x, dim=0, correction=0)[1].shape)
