"""Why an op-table row misses its floor target, and what would close it (``benchmarks/ops.md``).

Each entry was written from the row's profile (``python -m benchmarks ops --profile NAME --shapes
medium``) and from reading the floor beside kittygrad's formulas. Rows fall into five groups:

- *fixed cost*: the floor at the medium shape is 40-140 us, and kittygrad spends about 25 us of
  Python on any op there (the op's node and the ``sum`` the benchmark adds, their ``apply``, and
  the backward walk), so the ratio cannot reach 1.3x while that cost stays;
- *rounding kept machine-independent*: the floor sums squares with a float32 BLAS dot, whose
  result depends on the BLAS build and CPU kernel; kittygrad's fused einsum pass over rows is
  twice the dot's time and gives every machine the same bits;
- *recomputation as torch*: backward computes again what the floor keeps from forward (a root,
  exponentials), because arrays kept past forward cost whole training steps more than the pass;
- *torch's edge cases*: passes the floor leaves out and torch's results need (ties, NaN, inf,
  constant slices);
- *noise*: BLAS-bound rows whose work is the floor's; their ratio moves with the machine.
"""
from __future__ import annotations

_FIXED = ("fixed cost: ~25 us of Python per op (two nodes, their apply, the backward walk) against a "
          "{floor} floor; the NumPy passes are the floor's")
_CLOSE_FIXED = ("a dispatcher with fewer Python layers per op (the node, its saved-tensor bookkeeping and the "
                "engine's walk cost about 6 us each), or a compiled one as an optional extra (issue 18, item 4)")

#: row name -> (where the time goes, what would close it); ``{floor}`` is filled with the floor's time
WHY: dict[str, tuple[str, str]] = {
    name: (_FIXED, _CLOSE_FIXED)
    for name in ("add", "sub", "mul", "neg", "exp", "tanh", "sigmoid", "sin_method", "reciprocal_method",
                 "square", "square_method", "mean", "sum", "sum_dim", "mean_dim", "pow_scalar", "softmax", "layer_norm",
                 "log_softmax")
}
WHY.update({
    "mse_loss": (
        "rounding kept machine-independent: the floor's sum of squares is one float32 BLAS dot (8 us); kittygrad "
        "sums them in one fused einsum pass over rows of 4096 (15 us, the same bits on every CPU); backward "
        "scales the saved difference in place on its last read, as the floor does; the rest is the fixed "
        "cost of two nodes and the loss's argument checks",
        "a sum of squares as fast as the dot with the same bits on every CPU (a compiled kernel, optional "
        "extra), and the fixed cost, as the rows below",
    ),
    "var": (
        "rounding kept machine-independent and torch's exact zero: each slice is first shifted by its first "
        "element (a constant slice then has variance exactly 0 and std gradient 0, as torch; and the shifted "
        "values' mean stays accurate far from zero), one write pass more than the floor; the squares are summed "
        "in one fused einsum pass (16 us at (312, 416) on an Intel Xeon, 32-38 on an AMD EPYC; the same bits on "
        "every CPU) where the floor's BLAS dot takes 5 (12-13 on the EPYC). Squaring into a buffer and then "
        "summing took 25 us on the EPYC, but its row sums differ from the fused pass's in the last bits (104 "
        "of 123 rows of 4,096), which would move every machine's var, std and mse_loss. Centring once was tried: "
        "float32 values near 1000 then had var 7e-7 off, torch's 4e-8",
        "a sum of squares as fast as the dot with the same bits on every CPU, and centring in one pass that "
        "keeps both (a compiled kernel, optional extra)",
    ),
    "std": (
        "as var: the first-element shift for exact zeros and an einsum sum of squares against the floor's "
        "BLAS dot, and std's own node (the where at std == 0)",
        "as var",
    ),
    "var_dim": (
        "as var, along one dim: the first-element shift is one more pass over the input than the floor makes",
        "as var",
    ),
    "div": (
        "the fixed cost: backward now reads forward's quotient for the divisor's gradient, -(g / b) * (a / b), "
        "as the floor does (0.192 -> 0.163 ms on an AMD EPYC); the two test programs that had turned on that "
        "rounding were made robust to BLAS rounding first",
        "a fixed cost per op about half of today's, as the rows above",
    ),
    "maximum": (
        "torch's edge cases: an operand gets no gradient only where it compares below the other (ties split the "
        "gradient, a NaN passes it to both), so backward compares both ways and checks the two masks for ties with "
        "one OR, where the floor's one mask ignores ties and NaN",
        "a single-pass compare that yields both masks (a compiled kernel, optional extra)",
    ),
    "logsumexp": (
        "torch's edge cases: the shift is made finite (an all -inf slice gives -inf, not nan), one more pass; "
        "backward recomputes exp(x - out) instead of keeping the forward's exponentials (as torch: kept, they "
        "made the row 1.21x and a model with 4 logsumexp layers 6% slower per step)",
        "the fixed cost, as the rows above; keeping the exponentials only where backward follows at once",
    ),
    "gelu_tanh": (
        "memory kept small: backward recomputes x*x and 0.5(1 + t), which the floor keeps from forward (two "
        "more arrays of the input's size held per call; keeping arrays past forward cost more in whole "
        "training steps than the pass it saves), and looks for an overflowed x*x (one max over the polynomial) so "
        "that a huge |x| gets the slope 0 or 1 instead of nan",
        "keeping x*x from forward (one array more held until backward)",
    ),
    "cross_entropy": (
        "torch's checks: every target is range-checked before the fused log-softmax (one reduction: "
        "the int64 targets read as unsigned, so a negative one is huge); backward scales the saved "
        "exponentials in place on its last read, as the floor does (a retained graph's backward writes a "
        "new array); 1.22x in the run before this one",
        "the fixed cost, as the rows above; the range check is torch's contract and stays",
    ),
    "relu": (
        "torch's rules: the gradient passes where the output is NaN (the mask is out != 0, one pass like the "
        "floor's x > 0), and it is a select, not a product (an infinite or NaN gradient leaves +0 where the "
        "mask is off): the bool mask is widened to g's integer width and multiplied by g's bits (g is one "
        "value broadcast here), one pass more than the floor's product with the bool mask; the rest is the "
        "fixed cost",
        "a select by a bool mask in one pass (NumPy's where took 3-10x the product's time at (128, 256) and "
        "(32, 16, 256): a compiled kernel, optional extra), and the fixed cost, as the rows above",
    ),
    "max_pool2d": (
        "torch's rule at ties: the gradient goes to each window's first maximum, so forward finds that "
        "offset (a compare and a select per offset on the output, about a quarter of the row's time on an "
        "AMD EPYC), where the floor's backward sends a tie's gradient to every maximum; backward writes each "
        "offset's share straight into the gradient's strided blocks, as the floor; 1.10-1.36x in reruns",
        "the first maximum's offset in fewer passes (the floor's own variant through NumPy's argmax over a "
        "window axis took 7.0 ms against its slices' 0.9: a compiled kernel, optional extra), and the fixed cost",
    ),
    "conv2d": (
        "BLAS-bound, the same GEMMs as the floor; the difference is col2im's scatter of the input gradient "
        "(one strided add per kernel offset) and reshapes that copy; the ratio moves with the machine "
        "(1.23x rerun alone last stop)",
        "a col2im that adds kernel rows in fewer, larger strided adds",
    ),
    "pow_half": (
        "torch's values at -0 and -inf: backward divides by forward's root as the floor does (kept while the "
        "result is unchanged), then checks the slope finite (one read pass: 0.5 / sqrt(-0) is -inf where "
        "the power gives inf); the rest is the fixed cost",
        "the fixed cost, as the rows above",
    ),
    "mm": (
        "noise: the same three GEMMs as the floor (profile: all but ~40 us in BLAS); 1.00x rerun alone",
        "nothing in kittygrad: rerun alone",
    ),
    "baddbmm": (
        "the floor's GEMMs plus the scaled sum in place, and the fixed cost (~20 us of ~800); until cc88bf6 "
        "backward handed NumPy's matmul the sum's zero-stride gradient, which it multiplies without BLAS "
        "(1.19x then, 1.07x after)",
        "nothing in kittygrad beyond the fixed cost: rerun alone",
    ),
    "bmm": ("noise: the floor's batched GEMMs; 0.88-1.00x rerun alone", "nothing in kittygrad: rerun alone"),
    "matmul": ("noise: one folded GEMM per direction as the floor; 1.04-1.08x rerun alone", "nothing: rerun alone"),
    "sqrt": (
        "noise over the fixed cost: the floor's square root, and in backward one division g / (2 out) into a fresh "
        "array; 1.26x rerun alone",
        "the fixed cost, as the rows above",
    ),
    "linear": ("noise: the floor's GEMMs and bias sum", "nothing in kittygrad: rerun alone"),
    "addmm": ("noise: the floor's GEMMs and bias sum", "nothing in kittygrad: rerun alone"),
})


def why(name: str, floor_ms: float) -> tuple[str, str]:
    """(where the time goes, what would close it) for row ``name`` (a generic line where none is
    written: a row that misses only in some runs)."""
    found = WHY.get(name)
    if found is None:
        return ("not analysed: this row met its target in the runs its entry was written from",
                f"profile it: `python -m benchmarks ops --profile {name} --shapes medium`")
    return found[0].format(floor=f"{floor_ms * 1000:.0f} us"), found[1]
