"""``expand`` across distribution subclasses, and the torch-private hooks that subclasses written
for torch call (``_get_checked_instance``, ``_validate_args``), compared with torch."""
import inspect

import pytest
import torch

import kittygrad as kitty


def _subclass_with_own_init(lib):
    class Scaled(lib.distributions.Normal):
        def __init__(self, loc, scale, factor=2.0, validate_args=None):
            self.factor = factor
            super().__init__(loc, scale * factor, validate_args=validate_args)

        def expand(self, batch_shape, _instance=None):
            new = self._get_checked_instance(Scaled, _instance)
            new.factor = self.factor
            return super().expand(batch_shape, _instance=new)

    return Scaled


@pytest.mark.parametrize("lib", [kitty, torch])
def test_torch_style_subclass_expands_through_get_checked_instance(lib):
    d = _subclass_with_own_init(lib)(lib.zeros(3), lib.ones(3), factor=3.0)
    e = d.expand((2, 3))
    assert type(e) is type(d) and e.factor == 3.0
    assert tuple(e.batch_shape) == (2, 3)
    assert e.scale.tolist() == [[3.0] * 3] * 2


def test_subclass_with_own_init_but_no_expand_is_refused_as_torch_refuses():
    def make(lib):
        class Own(lib.distributions.Laplace):
            def __init__(self, loc):
                super().__init__(loc, 1.0)

        return Own(lib.zeros(2))

    with pytest.raises(NotImplementedError) as theirs:
        make(torch).expand((3, 2))
    with pytest.raises(NotImplementedError) as ours:
        make(kitty).expand((3, 2))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("make", [
    lambda lib, v: lib.distributions.Laplace(lib.zeros(2), 1.0, validate_args=v),
    lambda lib, v: lib.distributions.Independent(lib.distributions.Normal(lib.zeros(2, 3), 1.0), 1, validate_args=v),
    lambda lib, v: lib.distributions.LogNormal(lib.zeros(2), 1.0, validate_args=v),
    lambda lib, v: lib.distributions.Chi2(lib.ones(2), validate_args=v),
    lambda lib, v: lib.distributions.Weibull(lib.ones(2), lib.ones(2), validate_args=v),
    lambda lib, v: lib.distributions.OneHotCategorical(lib.ones(2, 3), validate_args=v),
    lambda lib, v: lib.distributions.Bernoulli(lib.ones(2) / 2, validate_args=v),
])
def test_expand_keeps_the_class_shapes_and_validation_setting(make, validate):
    # the default is the other setting: the copy must keep the original's own
    for lib in (kitty, torch):
        lib.distributions.Distribution.set_default_validate_args(not validate)
    try:
        ours, theirs = make(kitty, validate).expand((4, 2)), make(torch, validate).expand((4, 2))
    finally:
        for lib in (kitty, torch):
            lib.distributions.Distribution.set_default_validate_args(True)
    assert type(ours).__name__ == type(theirs).__name__
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours._validate_args is theirs._validate_args is validate


def test_independent_sampling_methods_look_like_torchs():
    for name in ("sample", "rsample"):
        ours = getattr(kitty.distributions.Independent, name)
        theirs = getattr(torch.distributions.Independent, name)
        assert ours.__name__ == theirs.__name__
        assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters)
    d = kitty.distributions.Independent(kitty.distributions.Normal(kitty.zeros(2, 3), 1.0), 1)
    assert tuple(d.sample((5,)).shape) == tuple(d.rsample((5,)).shape) == (5, 2, 3)
    assert d.has_rsample and not d.sample().requires_grad


def test_transformed_distribution_has_rsample_follows_its_base():
    for lib in (kitty, torch):
        T = lib.distributions
        exp = T.transforms.ExpTransform()
        assert T.TransformedDistribution(T.Normal(0.0, 1.0), exp).has_rsample is True
        assert T.TransformedDistribution(T.Poisson(lib.ones(2)), exp).has_rsample is False
