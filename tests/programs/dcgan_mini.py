"""A miniature DCGAN on 8x8 synthetic images (bright horizontal or vertical bars): a generator of
ConvTranspose2d + BatchNorm2d + ReLU ending in Tanh, a discriminator of strided Conv2d + LeakyReLU,
the DCGAN weights_init applied with .apply, BCE losses with real/fake labels, and fixed-noise samples.

tolerance: rtol=3e-3 atol=2e-4
(atol: values printed to 4 decimals move by a last digit with torch's CPU kernels, AVX2 to
AVX-512; the training it prints is a GAN's, which carries a rounding forward)
"""
import torch
import torch.nn as nn

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
nz, ngf, ndf = 8, 16, 16


def real_batch(n):
    imgs = -torch.ones(n, 1, 8, 8)
    pos = torch.randint(1, 7, (n,))
    horizontal = torch.rand(n) < 0.5
    for k in range(n):
        if horizontal[k]:
            imgs[k, 0, pos[k], :] = 1.0
        else:
            imgs[k, 0, :, pos[k]] = 1.0
    return imgs


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 2, 1, 0, bias=False),      # 1 -> 2
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),     # 2 -> 4
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False),           # 4 -> 8
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False),                    # 8 -> 4
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),              # 4 -> 2
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 2, 1, 0, bias=False),                # 2 -> 1
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.main(x).view(-1, 1).squeeze(1)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


netG = Generator().to(device)
netG.apply(weights_init)
netD = Discriminator().to(device)
netD.apply(weights_init)
print(netG)
print(sum(p.numel() for p in netG.parameters()), sum(p.numel() for p in netD.parameters()))

criterion = nn.BCELoss()
fixed_noise = torch.randn(4, nz, 1, 1, device=device)
real_label, fake_label = 1.0, 0.0
optD = torch.optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optG = torch.optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
print(netG(fixed_noise).shape, netD(real_batch(4)).shape)

batch_size = 16
for it in range(40):
    # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    real = real_batch(batch_size).to(device)
    label = torch.full((batch_size,), real_label, dtype=torch.float, device=device)
    output = netD(real)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    noise = torch.randn(batch_size, nz, 1, 1, device=device)
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach())
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optD.step()
    # (2) update G: maximize log(D(G(z)))
    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optG.step()
    if it % 8 == 0:
        print(f"[{it:2d}] Loss_D: {errD.item():.4f} Loss_G: {errG.item():.4f} "
              f"D(x): {D_x:.4f} D(G(z)): {D_G_z1:.4f} / {D_G_z2:.4f}")

netG.eval()
with torch.no_grad():
    samples = netG(fixed_noise)
    print(samples.shape, f"{samples.min().item():.4f} {samples.max().item():.4f}")
    print(samples[0, 0, :3])
    print(netG.main[1].running_mean[:4], netG.main[1].num_batches_tracked)
    print(netD(samples))
