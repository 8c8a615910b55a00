"""L-BFGS: a quasi-Newton method over all parameters as one flat vector, with an optional
strong-Wolfe line search."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import backend as B
from ..autograd.grad_mode import enable_grad
from ..errors import KittyRuntimeError, KittyValueError
from ..tensor import Tensor
from ._validate import check_hyper
from .optimizer import Optimizer

__all__ = ["LBFGS"]

xp = B.xp


def _tensor(value):
    return None if value is None else Tensor._wrap(xp.asarray(value))


def _array(value):
    return value._data if isinstance(value, Tensor) else value


def _arrays(values):
    return None if values is None else [_array(v) for v in values]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``
    (the interval between the points by default); the midpoint when the cubic has none."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    secant = (f2 - f1) / (x2 - x1)  # the chord's slope; the cubic's shape follows from it and g1, g2
    d1 = g1 + g2 - 3 * secant
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square ** 0.5
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, lo), hi)


class _Bracket:
    """The interval the zoom phase narrows: step sizes with their losses, gradients and slopes."""

    def __init__(self, points) -> None:
        self.t, self.f, self.g, self.gtd = (list(column) for column in zip(*points))

    def order(self) -> tuple[int, int]:
        return (0, 1) if self.f[0] <= self.f[-1] else (1, 0)

    def set(self, i, t, f, g, gtd) -> None:
        self.t[i], self.f[i], self.g[i], self.gtd[i] = t, f, g, gtd


def strong_wolfe(evaluate: Callable, t: float, d, f: float, g, gtd, c1: float = 1e-4, c2: float = 0.9,
                 tolerance_change: float = 1e-9, max_ls: int = 25):
    """A step size along ``d`` meeting the strong Wolfe conditions (sufficient decrease and
    curvature), by bracketing then zooming with cubic interpolation.

    ``evaluate(t)`` returns the loss and flat gradient at ``x + t d``. Returns
    ``(loss, flat_grad, t, evaluations)``.
    """
    d_norm = float(xp.abs(d).max())
    f_new, g_new = evaluate(t)
    evaluations, ls_iter = 1, 0
    gtd_new = xp.dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g.copy(), gtd
    done = False
    bracket = None
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = _Bracket([(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new.copy(), gtd_new)])
            break
        if abs(gtd_new) <= -c2 * gtd:  # both conditions hold: this step will do
            bracket = _Bracket([(t, f_new, g_new, gtd_new)])
            done = True
            break
        if gtd_new >= 0:  # the slope turned: a minimum lies between t_prev and t
            bracket = _Bracket([(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new.copy(), gtd_new)])
            break
        # extrapolate: somewhere between just past t and ten times t
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evaluations += 1
        gtd_new = xp.dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = _Bracket([(0, f, g, gtd), (t, f_new, g_new, gtd_new)])

    insufficient_progress = False
    low, high = bracket.order()
    for _ in range(max_ls - ls_iter):  # zoom with what is left of the evaluation budget
        if done or abs(bracket.t[1] - bracket.t[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket.t[0], bracket.f[0], bracket.gtd[0], bracket.t[1], bracket.f[1], bracket.gtd[1])
        top, bottom = max(bracket.t), min(bracket.t)
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:  # too close to an end: step in from it
            if insufficient_progress or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(t)
        evaluations += 1
        gtd_new = xp.dot(g_new, d)
        if f_new > f + c1 * t * gtd or f_new >= bracket.f[low]:
            bracket.set(high, t, f_new, g_new.copy(), gtd_new)
            low, high = bracket.order()
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket.t[high] - bracket.t[low]) >= 0:
                bracket.set(high, bracket.t[low], bracket.f[low], bracket.g[low], bracket.gtd[low])
            bracket.set(low, t, f_new, g_new.copy(), gtd_new)
    return bracket.f[low], bracket.g[low], bracket.t[low], evaluations


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS``: ``step(closure)`` runs up to ``max_iter`` iterations,
    each building a search direction from the last ``history_size`` curvature pairs (the
    two-loop recursion) and moving along it by ``lr`` or by a strong-Wolfe line search.

    One parameter group only; the closure recomputes the loss and its gradients.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = kitty.optim.LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad(); loss = ((w - 3) ** 2).sum(); loss.backward(); return loss
    >>> _ = opt.step(closure); [round(v, 4) for v in w.tolist()]
    [3.0, 3.0]
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1,
        max_iter: int = 20, max_eval: int | None = None,  # per step: iterations, closure calls
        tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,  # stop below these
        history_size: int = 100, line_search_fn: str | None = None,
    ) -> None:
        check_hyper(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, {
            "lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change, "history_size": history_size, "line_search_fn": line_search_fn,
        })
        only_group, *more_groups = self.param_groups
        if more_groups:
            raise KittyValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        # the tensors that, concatenated in this order, make the vector the method works on (torch's
        # name: scripts read the counters as opt.state[opt._params[0]])
        self._params = only_group["params"]

    # ---- the parameters as one flat vector ------------------------------------------------------
    def _flat_grad(self):
        parts = [xp.zeros(p._data.size, p._data.dtype) if p._grad is None else p._grad._data.reshape(-1)
                 for p in self._params]
        return xp.concatenate(parts)

    def _move(self, step, direction) -> None:
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += (direction[offset:offset + n] * p._data.dtype.type(step)).reshape(p._data.shape)
            p._vc[0] += 1
            offset += n

    def _values(self) -> list:
        return [p._data.copy() for p in self._params]

    def _restore(self, values) -> None:
        for p, v in zip(self._params, values):
            p._data[...] = v
            p._vc[0] += 1

    def _own_state(self) -> dict:
        """The method's state: one entry for the whole vector, kept under the first parameter
        (where state_dict and load_state_dict find it), with its counters started."""
        state = self.state[self._params[0]]
        for counter in ("func_evals", "n_iter"):
            state.setdefault(counter, 0)
        return state

    def step(self, closure: Callable[[], Any]):  # noqa: C901 - one algorithm, kept in one place
        """Run the L-BFGS iterations; ``closure`` must zero the gradients, compute and return the loss."""
        if closure is None:
            raise KittyRuntimeError("LBFGS requires a closure: step(closure) with a function that returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search = group["history_size"], group["line_search_fn"]
        state = self._own_state()

        with enable_grad():
            first_loss = closure()
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if float(xp.abs(flat_grad).max()) <= tolerance_grad:
            return first_loss

        # the state keeps Tensors, as torch's does (so state_dict and save work); the loop, arrays
        d, t = _array(state.get("d")), state.get("t")
        old_dirs, old_steps = _arrays(state.get("old_dirs")), _arrays(state.get("old_stps"))
        ro, h_diag = _arrays(state.get("ro")), _array(state.get("H_diag"))
        prev_flat_grad, prev_loss = _array(state.get("prev_flat_grad")), state.get("prev_loss")
        # the two-loop recursion's coefficients, one slot per history entry, kept in the state as
        # torch keeps them ("al"; slots not reached yet stay None)
        alphas = _arrays(state.get("al")) or [None] * history_size
        one = flat_grad.dtype.type(1)
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_steps, ro, h_diag = [], [], [], xp.asarray(one)
            else:
                y = flat_grad - prev_flat_grad
                s = d * flat_grad.dtype.type(t)
                ys = xp.dot(y, s)
                if ys > 1e-10:  # keep the pair only when the curvature is positive
                    old_dirs.append(y)
                    old_steps.append(s)
                    ro.append(one / ys)
                    if len(old_dirs) > history_size:  # the memory was full: forget the oldest pair
                        del old_dirs[0], old_steps[0], ro[0]
                    h_diag = ys / xp.dot(y, y)
                # two-loop recursion: d = -H g with H the implicit inverse-Hessian estimate
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    alphas[i] = xp.dot(old_steps[i], q) * ro[i]
                    q = q - old_dirs[i] * alphas[i]
                d = r = q * h_diag
                for i in range(len(old_dirs)):
                    beta = xp.dot(old_dirs[i], r) * ro[i]
                    r += old_steps[i] * (alphas[i] - beta)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, float(one / xp.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = xp.dot(flat_grad, d)
            if gtd > -tolerance_change:  # not a descent direction any more
                break

            spent = 0
            if line_search is not None:
                if line_search != "strong_wolfe":
                    raise KittyRuntimeError("only 'strong_wolfe' is supported")
                start = self._values()

                def evaluate(step, start=start, direction=d):
                    self._move(step, direction)
                    with enable_grad():
                        value = float(closure())
                    grad = self._flat_grad()
                    self._restore(start)
                    return value, grad

                loss, flat_grad, t, spent = strong_wolfe(evaluate, t, d, loss, flat_grad, gtd)
                self._move(t, d)
                converged = float(xp.abs(flat_grad).max()) <= tolerance_grad
            else:
                self._move(t, d)
                converged = False
                if n_iter != max_iter:  # the last iteration's loss is not needed
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._flat_grad()
                    converged = float(xp.abs(flat_grad).max()) <= tolerance_grad
                    spent = 1
            evals += spent
            state["func_evals"] += spent
            # stalled: the last step barely moved the parameters, or barely changed the loss
            stalled = (float(xp.abs(d * d.dtype.type(t)).max()) <= tolerance_change
                       or abs(loss - prev_loss) < tolerance_change)
            if n_iter == max_iter or evals >= max_eval or converged or stalled:
                break

        state.update({"d": _tensor(d), "t": t, "old_dirs": [_tensor(v) for v in old_dirs],
                      "old_stps": [_tensor(v) for v in old_steps], "ro": [_tensor(v) for v in ro],
                      "al": [_tensor(v) for v in alphas], "H_diag": _tensor(h_diag), "prev_flat_grad": _tensor(prev_flat_grad), "prev_loss": prev_loss})
        return first_loss
