"""kittygrad.optim: optimizers and learning-rate schedulers (as torch.optim).

>>> import kittygrad as kitty
>>> w = kitty.tensor([1.0, -2.0], requires_grad=True)
>>> opt = kitty.optim.Adam([w], lr=0.1)
>>> for _ in range(3):
...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
>>> w
tensor([ 0.7016, -1.7006], requires_grad=True)
"""
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "Muon",
    "LBFGS",
    "ASGD",
    "Adafactor",
    "Rprop",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "SGD",
    "lr_scheduler",
    "swa_utils",
]
