"""Op-table rows of ``kittygrad/ops/pointwise.py``: float representation (``copysign``, ``frexp``,
``ldexp``, ``nextafter``), angles, ``float_power``, ``logaddexp2``, ``heaviside``, ``gcd``/``lcm``."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, away_from_zero, fixed, positive

ROWS = [
    Row("copysign", lambda m, a, b: m.copysign(a, b), 2, broadcast=True, domain=away_from_zero),
    Row("copysign_scalar", lambda m, a: m.copysign(a, -1.0) + a.copysign(0.0), domain=away_from_zero),
    Row("copysign_int", lambda m, a, b: m.copysign(a, b), 2, inputs="int"),
    Row("frexp", lambda m, a: m.frexp(a * 3), domain=away_from_zero),
    Row("frexp_method", lambda m, a: a.frexp().mantissa * a),
    Row("ldexp", lambda m, a: m.ldexp(a, (m.ones_like(a) * 3).long()) + a.ldexp(m.zeros_like(a, dtype=m.int64))),
    Row("nextafter", lambda m, a, b: m.nextafter(a, b) + a.nextafter(m.zeros_like(a)), 2, broadcast=True),
    Row("deg2rad", lambda m, a: m.deg2rad(a) + a.rad2deg(), also=("rad2deg",)),
    Row("deg2rad_int", lambda m, a: m.deg2rad(a) + m.rad2deg(a), inputs="int"),
    Row("angle", lambda m, a: m.angle(a) + a.angle(), domain=away_from_zero),
    Row("angle_int", lambda m, a: m.angle(a), inputs="int"),
    Row("positive", lambda m, a: m.positive(a) * a.positive()),
    Row("float_power", lambda m, a, b: m.float_power(a, b), 2, broadcast=True, domain=positive),
    Row("float_power_scalar", lambda m, a: m.float_power(a, 3) + a.float_power(0.5)
        + m.float_power(2, a), domain=positive),
    Row("float_power_int", lambda m, a: m.float_power(a, 2), inputs="int"),
    Row("logaddexp2", lambda m, a, b: m.logaddexp2(a, b) + a.logaddexp2(b * 2), 2, broadcast=True),
    Row("heaviside", lambda m, a, b: m.heaviside(a, b) + a.heaviside(b), 2, broadcast=True, grad=False),
    # inputs that require grad record the op (torch's backward through it raises, as kittygrad's)
    Row("heaviside_recorded", lambda m, a, b: m.heaviside(a, b).detach() * a, 2, shapes=fixed((2, 3), (3,))),
    Row("heaviside_int", lambda m, a, b: m.heaviside(a, b), 2, inputs="int"),
    Row("gcd", lambda m, a, b: m.gcd(a, b) + a.gcd(b), 2, inputs="int"),
    Row("lcm", lambda m, a, b: m.lcm(a, b) + a.lcm(b), 2, inputs="int"),
    Row("heaviside_zero", lambda m, a, b: m.heaviside(a * 0, b), 2, grad=False, shapes=fixed((3,), (3,))),
]
