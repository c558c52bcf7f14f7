"""One forward and one backward pass on one example, in the lecture's order and notation.

:func:`explain` runs ``net.forward`` and ``net.backward`` on a single example
and keeps every intermediate quantity, layer by layer (l = 1..L):

    Forward direction     z^l = W^l a^{l-1} + b^l,  a^l = sigma(z^l),  a^0 = x,  y = a^L
    Backward direction    delta^L = sigma'(z^L) (.) nabla C(y)
                          delta^l = sigma'(z^l) (.) (W^{l+1})^T delta^{l+1}
    Gradients             dC/dw_ij^l = delta_i^l a_j^{l-1}  (x_j for l = 1),  dC/db_i^l = delta_i^l
    Update                theta <- theta - eta grad C(theta), with the cost before and after

The :class:`Explanation` renders itself as plain text, as coloured text for a
terminal (``rich``) or as Markdown with LaTeX. Numbers are printed in the
shortest form that reads back to exactly the same value of the network's
dtype (unless a ``precision`` is asked for), so the printout *is* the
network's arithmetic. Large layers are truncated to their first
``max_units`` units; what is shown stays exact.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from ._callable_module import make_callable
from .checks import boolean
from .network import Network, check_network

__all__ = ["explain", "Explanation", "LayerTrace", "format_number"]

Array = np.ndarray

#: rich styles of the kinds of segment in a rendered line.
STYLES = {
    "title": "bold underline",
    "section": "bold yellow",
    "layer": "bold",
    "forward": "cyan",
    "backward": "magenta",
    "gradient": "red",
    "update": "green",
    "note": "dim",
    "number": "",
}


@dataclass
class LayerTrace:
    """Everything about layer l of one example, vectors of shape (N_l,), float of the network's dtype.

    Attributes
    ----------
    l : int, 1..L.
    activation : str, the name of sigma for this layer.
    W : (N_l, N_{l-1}), W^l before the update.   b : (N_l,), b^l before the update.
    z : z^l.   a : a^l = sigma(z^l).
    sigma_prime : sigma'(z^l), or None for softmax (not element-wise).
    incoming : nabla C(y) for l = L, (W^{l+1})^T delta^{l+1} for l < L: what delta^l multiplies.
    delta : delta^l = dC/dz^l.
    dW : (N_l, N_{l-1}), dC/dW^l.   db : dC/db^l.
    W_after, b_after : W^l and b^l after theta <- theta - eta grad C(theta).
    """

    l: int
    activation: str
    W: Array
    b: Array
    z: Array
    a: Array
    sigma_prime: Array | None
    incoming: Array
    delta: Array
    dW: Array
    db: Array
    W_after: Array
    b_after: Array


def format_number(value, dtype: np.dtype, precision: int | None = None) -> str:
    """``value`` as text: the shortest string that reads back to the same ``dtype`` value
    (``precision=None``), or rounded to ``precision`` significant digits. A zero is shown without
    its sign (-t/y gives -0.0 where t = 0: a sign that means nothing to a reader, and equal to 0.0)."""
    v = dtype.type(value)
    if v == 0:
        v = dtype.type(0)
    if precision is None:
        return str(v)
    return f"{float(v):.{precision}g}"


def latex_number(text: str) -> str:
    """A number's text for LaTeX math: e-notation ("1e-06", "8.5e+37"), which renders there as
    "1e - 06", as 1 \\times 10^{-6} and 8.5 \\times 10^{37}; "inf" and "nan", which render as the italic
    letters i n f, as \\infty and \\text{NaN}; other text as it is."""
    import re

    special = {"inf": r"\infty", "-inf": r"-\infty", "+inf": r"+\infty", "nan": r"\text{NaN}", "-nan": r"\text{NaN}"}
    if text.lower() in special:
        return special[text.lower()]
    m = re.fullmatch(r"(-?\d+(?:\.\d*)?)e([+-])(\d+)", text)
    if m is None:
        return text
    mantissa, sign, exponent = m.groups()
    return f"{mantissa} \\times 10^{{{'-' if sign == '-' else ''}{int(exponent)}}}"


@dataclass
class Explanation:
    """The result of :func:`explain`: one example's forward pass, backward pass and update.

    Attributes
    ----------
    sizes : [N_0, ..., N_L].   loss : name of the cost function.   dtype : the network's dtype.
    x : (N_0,) the input.   t : (N_L,) the encoded target.   y : (N_L,) the output a^L.
    grad_y : (N_L,) nabla C(y) = dC/dy.
    cost_before, cost_after : C(theta) on this example before and after the update (float).
    eta : the learning rate of the update.   l2 : lambda of the L2 term (0: none).
    fused : whether delta^L was taken as y - t (the exact shortcut for softmax +
        cross-entropy, sigmoid + binary cross-entropy and exp + poisson) rather than the literal product.
    layers : list of L :class:`LayerTrace`, ``layers[l - 1]`` is layer l.
    dropout : [p_1, ..., p_{L-1}], the network's dropout probabilities, which the pass shown does not
        apply (it is the deterministic C(theta)); empty or all 0: none.
    exact_output_delta : (N_L,) y - t where the literal delta^L (``fused=False``) lost it because the
        output saturates (y rounds to 0 or 1 in the dtype: sigma'(z^L) is 0 while nabla C(y) is
        floored); None where the literal value is right (or was not taken).
    notes : further lines printed with the header (the command adds how its input was scaled).
    loss_formula, loss_latex : the loss's per-example cost written out (``Loss.formula``,
        ``Loss.latex``), or None for a loss that has none (then its name is shown).
    """

    sizes: list[int]
    loss: str
    dtype: np.dtype
    x: Array
    t: Array
    y: Array
    grad_y: Array
    cost_before: float
    cost_after: float
    eta: float
    l2: float
    fused: bool
    layers: list[LayerTrace]
    dropout: list[float] = field(default_factory=list)
    exact_output_delta: Array | None = None
    notes: list[str] = field(default_factory=list)
    loss_formula: str | None = None
    loss_latex: str | None = None

    @property
    def L(self) -> int:
        return len(self.layers)

    # ------------------------------------------------------------------ rendering

    def lines(self, *, max_units: int = 6, precision: int | None = None) -> list[list[tuple[str, str]]]:
        """The explanation as lines of (text, kind) segments; ``kind`` is a key of ``STYLES``."""
        return _TextBuilder(self, max_units, precision).build()

    def to_text(self, *, max_units: int = 6, precision: int | None = None) -> str:
        """Plain text (no colour), one quantity per line."""
        return "\n".join("".join(text for text, _ in line) for line in self.lines(max_units=max_units, precision=precision)) + "\n"

    def to_rich(self, *, max_units: int = 6, precision: int | None = None):
        """A ``rich.text.Text`` with the same content as :meth:`to_text`, coloured by kind."""
        from rich.text import Text

        out = Text()
        for line in self.lines(max_units=max_units, precision=precision):
            for text, kind in line:
                out.append(text, style=STYLES.get(kind, ""))
            out.append("\n")
        return out

    def print(self, file=None, *, color: bool | None = None, max_units: int = 6, precision: int | None = None) -> None:
        """Print to ``file`` (default stdout): coloured when it is a terminal (or ``color=True``), plain otherwise."""
        file = file or sys.stdout
        if color is None:
            color = hasattr(file, "isatty") and file.isatty()
        if not color:
            file.write(self.to_text(max_units=max_units, precision=precision))
            return
        from rich.console import Console

        Console(file=file, force_terminal=True, highlight=False, soft_wrap=True).print(
            self.to_rich(max_units=max_units, precision=precision), end=""
        )

    def to_markdown(self, *, max_units: int = 6, precision: int | None = None) -> str:
        """Markdown with LaTeX ($$ ... $$ blocks), for slides and notes."""
        return _markdown(self, max_units, precision)


# ---------------------------------------------------------------------- computing


def _comparable(label, classes) -> bool:
    """Whether ``label`` is of the kind of ``classes`` (text with text, numbers with numbers)."""
    text = isinstance(label, (str, np.str_, bytes, np.bytes_))
    return text == (classes.dtype.kind in "USO" and all(isinstance(c, (str, bytes)) for c in classes.tolist()))


def _check_example(net: Network, x, t) -> tuple[Array, Array]:
    """x as (1, N_0) and t as encoded (1, N_L), in the network's dtype."""
    x = np.asarray(x.toarray() if hasattr(x, "toarray") else x)  # (a row of a SciPy sparse X: one example, dense)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x: expected numbers; got an array of dtype {x.dtype}")
    if x.ndim == 2 and x.shape[0] == 1:
        x = x[0]
    if x.shape != (net.sizes[0],):
        raise ValueError(f"x: expected one example of {net.sizes[0]} values (N_0 = {net.sizes[0]}); got shape {x.shape}")
    NL = net.sizes[-1]
    if isinstance(t, np.ndarray) and t.ndim == 0:  # np.array(0.7): the number it holds
        t = t.item()
    labelled = net.classes_ is not None and not net.multilabel_ and np.ndim(t) == 0 and not isinstance(t, (bool, np.bool_))
    known = labelled and _comparable(t, net.classes_) and bool(np.isin(np.asarray(t), net.classes_).all())
    if known:  # a class label of a network trained on labels: one of net.classes_, as predict() gives them
        t = net.encode_targets(np.array([t]))[0]
    elif labelled and (NL > 1 or not isinstance(t, Real)):  # (labelled: t is no bool)
        raise ValueError(f"t: expected a class label, one of the network's classes {net.classes_.tolist()!r:.80}, "
                         f"or an encoded target of {NL} value{'s' if NL > 1 else ''}; got {t!r:.40}")
    elif labelled:
        pass  # (one output unit: a number not among its two classes is the target value y is compared with)
    elif isinstance(t, Integral) and not isinstance(t, bool) and NL > 1:
        if not 0 <= t < NL:
            raise ValueError(f"t: a class label must be in 0..{NL - 1} (N_L = {NL}); got {t}")
        onehot = np.zeros(NL)
        onehot[int(t)] = 1
        t = onehot
    t = np.asarray(t)
    if t.dtype.kind not in "biuf":
        raise TypeError(f"t: expected numbers; got an array of dtype {t.dtype}")
    if t.ndim == 0:
        t = t.reshape(1)
    if t.ndim == 2 and t.shape[0] == 1:
        t = t[0]
    if t.shape != (NL,):
        raise ValueError(f"t: expected a target of {NL} values (N_L = {NL}) or a class label; got shape {t.shape}")
    loss = net.loss_function
    if loss.classification and not np.all((t >= 0) & (t <= 1)):
        raise ValueError(f"t: {loss.name} needs targets in [0, 1] (probabilities); got {t.tolist()}")
    if loss.classification and not net.output_activation.elementwise and not np.isclose(t.sum(), 1):  # softmax's
        raise ValueError(f"t: {loss.name} needs targets that sum to 1 (a distribution over the classes of its "
                         f"{net.output_activation.name} output); got {t.tolist()}")
    X = net.check_X(x[None, :], argument="x")
    T = net.check_T(t[None, :], 1, argument="t")
    return X, T


def explain(net: Network, x, t, *, eta: float = 0.5, fused: bool = False) -> Explanation:
    """One forward and one backward pass of ``net`` on the example (x, t), and one update.

    Parameters
    ----------
    net : Network (not changed; the update is applied to a copy).
    x : array of shape (N_0,) (or (1, N_0)), the input.
    t : array of shape (N_L,), the encoded target (one-hot for classes), or a class
        label: one of ``net.classes_`` once the network has been fitted on labels (as
        ``predict`` gives them), before that an integer 0..N_L-1 when N_L > 1.
    eta : float > 0, the learning rate of the update shown.
    fused : bool, default False
        False shows the lecture's literal delta^L = sigma'(z^L) (.) nabla C(y);
        True uses the network's y - t shortcut where it is exact (as training does).

    Returns
    -------
    Explanation. Its numbers are those of ``net.forward(x[None])`` and
    ``net.backward(fp, t[None], fused=fused)``, bit for bit, in ``net.dtype``.
    Where the literal delta^L loses y - t to a saturated output, the printout
    says so and shows y - t; dropout is not applied, and the printout says that too.
    """
    check_network(net)
    fused = boolean("fused", fused)
    if isinstance(eta, bool) or not isinstance(eta, (int, float, np.floating)) or not np.isfinite(eta) or eta <= 0:
        raise ValueError(f"eta: expected a finite number > 0; got {eta!r}")
    X, T = _check_example(net, x, t)
    fp = net.forward(X)
    grads = net.backward(fp, T, fused=fused)
    cost_before = net.loss(X, T)
    grad_y = net.loss_function.grad(fp.output, T)  # nabla C(y)

    # theta <- theta - eta grad C(theta), on a copy, exactly as optimisers.GD does it.
    after = net.copy()
    for param, grad in zip(after.parameters(), [g for dW, db in zip(grads.dW, grads.db) for g in (dW, db)]):
        param -= param.dtype.type(eta) * grad
    cost_after = after.loss(X, T)

    L = net.n_layers
    layers = []
    for l in range(1, L + 1):
        sigma = net.activations[l - 1]
        z, a = fp.z[l - 1], fp.a[l]
        # (W^{l+1})^T delta^{l+1}, computed as network._backward does (row vector times W^{l+1}).
        incoming = grad_y if l == L else grads.delta[l] @ net.weights[l]
        layers.append(
            LayerTrace(
                l=l,
                activation=sigma.name,
                W=net.weights[l - 1].copy(),
                b=net.biases[l - 1].copy(),
                z=z[0],
                a=a[0],
                sigma_prime=None if sigma.derivative is None else sigma.derivative(z, a)[0],
                incoming=incoming[0],
                delta=grads.delta[l - 1][0],
                dW=grads.dW[l - 1],
                db=grads.db[l - 1],
                W_after=after.weights[l - 1],
                b_after=after.biases[l - 1],
            )
        )
    fused_used = net.takes_fused_output(fused)
    # The literal delta^L of a saturated output is not dC/dz^L (network.output_delta): said, never silently.
    exact, notes = None, []
    if not fused_used and net.takes_fused_output(True):
        exact = _lost_output_delta(fp.output[0], T[0], grads.delta[L - 1][0])
    if exact is not None:
        notes.append(f"Note: the output saturates in {net.dtype.name}, so the literal delta^L below is not dC/dz^L "
                     "(see the note there)." + (" C is computed from z^L, exact where y rounds to 0 or 1 (where the "
                                                "formula with the printed y gives inf)." if net.has_logit_cost() else ""))
    return Explanation(
        sizes=list(net.sizes),
        loss=net.loss_function.name,
        loss_formula=net.loss_function.formula,
        loss_latex=net.loss_function.latex,
        dtype=net.dtype,
        x=X[0],
        t=T[0],
        y=fp.output[0],
        grad_y=grad_y[0],
        cost_before=float(cost_before),
        cost_after=float(cost_after),
        eta=float(eta),
        l2=net.l2,
        fused=fused_used,
        layers=layers,
        dropout=[float(p) for p in net.dropout[:-1]],
        exact_output_delta=exact,
        notes=notes,
    )


def _lost_output_delta(y: Array, t: Array, literal: Array) -> Array | None:
    """y - t where the literal delta^L differs from it by more than rounding, else None.

    The literal product is exact in real numbers, but where y rounds to 0 or 1 (or below the
    smallest normal number) its sigma'(z^L) is 0 (or subnormal) while nabla C(y) divides by a
    floored y: the product is 0 (or off) where y - t is not.
    """
    exact = y - t
    if not np.all(np.isfinite(exact)):  # an output that overflowed (exp): y - t is no better, and inf says so itself
        return None
    # the literal product cancels to about eps times the larger of 1 (softmax), y and t (a Poisson count)
    tolerance = 1e-3 * np.abs(exact) + 64 * np.finfo(y.dtype).eps * np.maximum(1, np.maximum(np.abs(y), np.abs(t)))
    with np.errstate(invalid="ignore"):
        ok = np.abs(literal.astype(np.float64) - exact) <= tolerance  # (False for nan and inf too)
    return None if np.all(ok) else exact


# ---------------------------------------------------------------------- plain / rich text

def _largest_beyond(v: Array, k: int) -> int | None:
    """The index of an entry of ``v`` beyond its first ``k`` that outweighs every shown one twice over (nabla C(y) of
    a one-hot t: -t_k / y_k at the class k), or None: the entry a printout cut at ``k`` must still name."""
    if len(v) <= k:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        values = np.abs(np.asarray(v, dtype=np.float64))
    hidden = np.where(np.isnan(values[k:]), -1.0, values[k:])  # (NaN is no "largest"; inf is)
    shown = np.nanmax(values[:k], initial=0.0)
    i = int(np.argmax(hidden))
    return k + i if hidden[i] / 2 > shown else None


def _worked_indices(delta: Array, prev: Array, n: int = 2) -> tuple[list[int], list[int]]:
    """Rows i and columns j of dC/dw_ij = delta_i a_j worked out in a printout: those of the ``n`` largest |delta_i|
    and |a_j| (the first ones are often 0 pixels, whose product 0 = 0 shows nothing), in order."""
    pick = lambda v: sorted(np.argsort(-np.nan_to_num(np.abs(v), nan=-1.0), kind="stable")[:n].tolist())  # noqa: E731
    return pick(delta), pick(prev)


def _legend(ex: "Explanation") -> tuple[bool, str | None]:
    """Whether a printout has an element-wise product (.) to define, and the name of a non-element-wise sigma
    (softmax) whose Jacobian J it uses, or None."""
    elementwise = any(t.sigma_prime is not None for t in ex.layers)
    coupled = sorted({t.activation for t in ex.layers if t.sigma_prime is None})
    return elementwise, (coupled[0] if coupled else None)


class _TextBuilder:
    def __init__(self, ex: Explanation, max_units: int, precision: int | None) -> None:
        if isinstance(max_units, bool) or not isinstance(max_units, Integral) or max_units < 1:
            raise ValueError(f"max_units: expected an integer >= 1; got {max_units!r}")
        if precision is not None and (isinstance(precision, bool) or not isinstance(precision, Integral) or precision < 1):
            raise ValueError(f"precision: expected None (exact) or an integer >= 1; got {precision!r}")
        self.ex, self.k, self.precision = ex, int(max_units), precision
        self.out: list[list[tuple[str, str]]] = []

    def num(self, v) -> str:
        return format_number(v, self.ex.dtype, self.precision)

    def vec(self, v: Array) -> str:
        shown = ", ".join(self.num(x) for x in v[: self.k])
        more = len(v) - self.k
        if more <= 0:
            return f"[{shown}]"
        i = _largest_beyond(v, self.k)  # (numbered from 1, as the lecture's v_i)
        largest = "" if i is None else f"; largest: entry {i + 1} = {self.num(v[i])}"
        return f"[{shown}, ... +{more} more{largest}]"

    def line(self, *segments) -> None:
        self.out.append([s if isinstance(s, tuple) else (s, "") for s in segments])

    def quantity(self, indent: str, name: str, kind: str, formula: str, values: Array) -> None:
        """``name = formula = [values]`` on one line."""
        eq = f" = {formula} = " if formula else " = "
        self.line(indent, (name, kind), eq, (self.vec(values), "number"))

    def matrix(self, indent: str, name: str, kind: str, formula: str, M: Array) -> None:
        eq = f" = {formula} =" if formula else " ="
        self.line(indent, (name, kind), eq, (f"  ({M.shape[0]} x {M.shape[1]})", "note"))
        for row in M[: self.k]:
            self.line(indent + "    ", (self.vec(row), "number"))
        if M.shape[0] > self.k:
            self.line(indent + "    ", (f"... +{M.shape[0] - self.k} more rows", "note"))

    def build(self) -> list[list[tuple[str, str]]]:
        ex, L = self.ex, self.ex.L
        acts = ", ".join(f"{t.l}: {t.activation}" for t in ex.layers)
        self.line(("Backpropagation on one example", "title"))
        self.line((f"sizes [N_0, ..., N_L] = {ex.sizes}, L = {L}; sigma per layer {{{acts}}}; "
                   f"cost {ex.loss}; dtype {ex.dtype.name}", "note"))
        self.line(("W^l has shape (N_l, N_{l-1}); vectors are per unit; a^0 = x. "
                   + ("Exact values (shortest form that reads back to the same number)."
                      if self.precision is None else f"Rounded to {self.precision} significant digits."), "note"))
        elementwise, coupled = _legend(ex)
        legend = ["(.) is the element-wise product (the lecture's circled dot)."] if elementwise else []
        if coupled:  # (softmax: each a_i depends on every z_j, so no sigma'(z) entry by entry)
            legend.append(f"J_{coupled}(z) is the Jacobian of {coupled}, the matrix of da_i/dz_j: it is not "
                          f"element-wise, so delta = J^T times the incoming vector.")
        if legend:
            self.line((" ".join(legend), "note"))
        if any(n > self.k for n in ex.sizes):
            units = "unit" if self.k == 1 else "units"
            self.line((f"Layers wider than {self.k} {units} show their first {self.k} (entries are numbered from 1).", "note"))
        for note in header_notes(ex):
            self.line((note, "note"))
        self.line()
        self.quantity("", "x", "forward", "", ex.x)
        self.quantity("", "t", "forward", "", ex.t)
        self.line()
        self.line(("Forward direction", "section"))
        for tr in ex.layers:
            l = tr.l
            prev = "x" if l == 1 else f"a^{l - 1}"
            self.line((f"layer {l}", "layer"), (f"  (N_{l} = {ex.sizes[l]}, sigma = {tr.activation})", "note"))
            self.matrix("  ", f"W^{l}", "forward", "", tr.W)
            self.quantity("  ", f"b^{l}", "forward", "", tr.b)
            self.quantity("  ", f"z^{l}", "forward", f"W^{l} {prev} + b^{l}", tr.z)
            self.quantity("  ", f"a^{l}", "forward", f"sigma(z^{l})", tr.a)
        self.quantity("", "y", "forward", f"a^{L}", ex.y)
        penalty = " + lambda/2 sum_l ||W^l||^2" if ex.l2 else ""  # the cost the gradients are of, L2 term included
        self.line(("cost", "section"), f"  {ex.loss_formula or 'C = ' + ex.loss}{penalty} = ", (self.num_cost(ex.cost_before), "number"))
        self.line()
        self.line(("Backward direction", "section"), (f"  (from layer L = {L} down to 1)", "note"))
        self.quantity("", "nabla C(y)", "backward", "dC/dy", ex.grad_y)
        for tr in reversed(ex.layers):
            l = tr.l
            self.line((f"layer {l}", "layer"))
            into = "nabla C(y)" if l == L else f"(W^{l + 1})^T delta^{l + 1}"
            if l < L:
                self.quantity("  ", into, "backward", "", tr.incoming)
            if tr.sigma_prime is not None:
                self.quantity("  ", f"sigma'(z^{l})", "backward", "", tr.sigma_prime)
            if l == L and ex.fused:
                product = (f"sigma'(z^{L}) (.) nabla C(y)" if tr.sigma_prime is not None
                           else f"J_{tr.activation}(z^{L})^T nabla C(y)")  # (softmax: only through its Jacobian)
                formula = f"y - t  (= {product} for {tr.activation} with {ex.loss}, simplified)"
            elif tr.sigma_prime is None:
                formula = f"J_{tr.activation}(z^{l})^T {into}"
            else:
                formula = f"sigma'(z^{l}) (.) {into}"
            self.quantity("  ", f"delta^{l}", "backward", formula, tr.delta)
            if l == L and ex.exact_output_delta is not None:
                self.line("  ", (saturation_note(ex, self.vec(ex.exact_output_delta)), "note"))
        self.line()
        self.line(("Gradients", "section"), ("  dC/dw_ij^l = delta_i^l a_j^{l-1} (x_j for l = 1), dC/db_i^l = delta_i^l", "note"))
        for tr in ex.layers:
            l = tr.l
            prev = "x" if l == 1 else f"(a^{l - 1})"
            prev_vec = ex.x if l == 1 else ex.layers[l - 2].a
            penalty = f" + {self.num(ex.l2)} W^{l}" if ex.l2 else ""
            self.line((f"layer {l}", "layer"))
            self.matrix("  ", f"dC/dW^{l}", "gradient", f"delta^{l} {prev}^T{penalty}", tr.dW)
            # two rows and two columns worked out: those of the largest |delta_i| and |a_j| (a 0 pixel gives 0 = 0)
            rows, cols = _worked_indices(tr.delta, prev_vec)
            for i in rows:
                for j in cols:
                    ij = f"{i + 1}{j + 1}" if max(i, j) < 9 else f"{i + 1},{j + 1}"  # (w_2,44: row 2, column 44)
                    a_name = f"x_{j + 1}" if l == 1 else f"a_{j + 1}^{l - 1}"
                    extra = f" + {self.num(ex.l2)} w_{ij}^{l}" if ex.l2 else ""
                    extra_value = f" + {self.num(ex.l2)} ({self.num(tr.W[i, j])})" if ex.l2 else ""
                    self.line(
                        "    ",
                        (f"dC/dw_{ij}^{l}", "gradient"),
                        f" = delta_{i + 1}^{l} {a_name}{extra} = ({self.num(tr.delta[i])}) ({self.num(prev_vec[j])}){extra_value} = ",
                        (self.num(tr.dW[i, j]), "number"),
                    )
            self.quantity("  ", f"dC/db^{l}", "gradient", f"delta^{l}", tr.db)
        self.line()
        self.line(("Update", "section"), (f"  theta <- theta - eta grad C(theta), eta = {self.num(ex.eta)}", "note"))
        for tr in ex.layers:
            l = tr.l
            self.matrix("  ", f"W^{l} <- W^{l} - eta dC/dW^{l}", "update", "", tr.W_after)
            self.quantity("  ", f"b^{l} <- b^{l} - eta dC/db^{l}", "update", "", tr.b_after)
        change = ex.cost_after - ex.cost_before
        self.line(("cost before", "section"), " = ", (self.num_cost(ex.cost_before), "number"))
        self.line(("cost after", "section"), "  = ", (self.num_cost(ex.cost_after), "number"),
                  (f"  (change {'+' if change >= 0 else ''}{self.num_cost(change)})", "note"))
        return self.out

    def num_cost(self, c: float) -> str:
        # The per-example cost is the dtype's (only the mean is taken in float64): float64's digits would be noise.
        return format_number(c, self.ex.dtype, self.precision)


def header_notes(ex: Explanation) -> list[str]:
    """The notes printed under the header: what the pass shown leaves out or cannot show exactly."""
    notes = list(ex.notes)
    dropped = [(l, p) for l, p in enumerate(ex.dropout, start=1) if p > 0]
    if dropped:
        ps = ", ".join(f"p_{l} = {p:g}" for l, p in dropped)
        notes.append(f"Note: dropout ({ps}) is not applied: this is the deterministic C(theta), so the update is not "
                     "the step training takes on this example (which drops random units).")
    return notes


def saturation_note(ex: Explanation, exact: str) -> str:
    """What the literal delta^L lost where the output saturates, and the exact value ``exact``."""
    L, tiny = ex.L, format_number(np.finfo(ex.dtype).tiny, ex.dtype)
    return (f"note: y is at the end of {ex.dtype.name}'s range, where sigma'(z^{L}) underflows and nabla C(y) divides "
            f"by a number floored at {tiny}: the lecture's product, taken literally, is not dC/dz^{L}. "
            f"The exact delta^{L} = y - t = {exact}; fused=True (explain --fused) computes it, as training does"
            + ("." if ex.dtype == np.float64 else "; float64 saturates only further out."))


# ---------------------------------------------------------------------- markdown


def _markdown_legend(ex: Explanation) -> str:
    elementwise, coupled = _legend(ex)
    text = " $\\odot$ is the element-wise product." if elementwise else ""
    if coupled:
        name = coupled.replace("_", r"\_")
        text += (f" $J_{{\\mathrm{{{name}}}}}(z)$ is the Jacobian of {coupled}, the matrix of $\\partial a_i / \\partial z_j$: "
                 f"it is not element-wise, so $\\delta = J^T$ times the incoming vector.")
    return text


def _markdown(ex: Explanation, max_units: int, precision: int | None) -> str:
    b = _TextBuilder(ex, max_units, precision)  # validates the options and formats numbers
    k = b.k

    def num(x) -> str:
        return latex_number(b.num(x))

    def cost(c: float) -> str:
        return latex_number(b.num_cost(c))

    def col(v: Array) -> str:
        i = _largest_beyond(v, k)  # (an entry that outweighs those shown: named, as the text names it)
        entries = [num(x) for x in v[:k]] + ([r"\vdots"] if len(v) > k and i != k else [])
        if i is not None:
            entries += [f"{num(v[i])}\\;(\\text{{entry }} {i + 1})"] + ([r"\vdots"] if i < len(v) - 1 else [])
        return r"\begin{bmatrix}" + r" \\ ".join(entries) + r"\end{bmatrix}"

    def mat(M: Array) -> str:
        rows = []
        for row in M[:k]:
            rows.append(" & ".join([num(x) for x in row[:k]] + ([r"\cdots"] if M.shape[1] > k else [])))
        if M.shape[0] > k:
            rows.append(" & ".join([r"\vdots"] * (min(M.shape[1], k) + (M.shape[1] > k))))
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"

    L = ex.L
    penalty = r" + \tfrac{\lambda}{2} \sum_l \lVert W^l \rVert^2" if ex.l2 else ""  # C(theta) includes the L2 term
    formula = f" (${ex.loss_latex}{penalty}$)" if ex.loss_latex else ""  # (a name is no formula)
    out = [
        "# Backpropagation on one example",
        "",
        f"Sizes $[N_0, \\dots, N_L] = {ex.sizes}$, $L = {L}$, cost {ex.loss}{formula}, "
        f"dtype {ex.dtype.name}. $W^l$ has shape $(N_l, N_{{l-1}})$ and $a^0 = x$."
        + (f" Layers wider than {k} unit{'s' if k > 1 else ''} show their first {k} (entries are numbered from 1)."
           if any(n > k for n in ex.sizes) else "")
        + _markdown_legend(ex),
        "",
        *[line for note in header_notes(ex) for line in (note.replace("$", r"\$"), "")],  # (a label '$c1' is no math)
        f"$$x = {col(ex.x)}, \\quad t = {col(ex.t)}$$",
        "",
        "## Forward direction",
        "",
    ]
    for tr in ex.layers:
        l = tr.l
        prev = "x" if l == 1 else f"a^{{{l - 1}}}"
        out += [
            f"**Layer {l}** ($N_{{{l}}} = {ex.sizes[l]}$, $\\sigma$ = {tr.activation})",
            "",
            f"$$W^{{{l}}} = {mat(tr.W)}, \\quad b^{{{l}}} = {col(tr.b)}$$",
            "",
            f"$$z^{{{l}}} = W^{{{l}}} {prev} + b^{{{l}}} = {col(tr.z)}, \\quad a^{{{l}}} = \\sigma(z^{{{l}}}) = {col(tr.a)}$$",
            "",
        ]
    out += [f"$$y = a^{{{L}}} = {col(ex.y)}, \\quad C(\\theta) = {cost(ex.cost_before)}$$", "", "## Backward direction", ""]
    out += [f"$$\\nabla C(y) = {col(ex.grad_y)}$$", ""]
    for tr in reversed(ex.layers):
        l = tr.l
        into = r"\nabla C(y)" if l == L else f"(W^{{{l + 1}}})^T \\delta^{{{l + 1}}}"
        parts = []
        if l < L:
            parts.append(f"{into} = {col(tr.incoming)}")
        if tr.sigma_prime is not None:
            parts.append(f"\\sigma'(z^{{{l}}}) = {col(tr.sigma_prime)}")
        name = tr.activation.replace("_", r"\_")  # (log_softmax: no subscript in LaTeX)
        literal = (f"J_{{\\mathrm{{{name}}}}}(z^{{{l}}})^T {into}" if tr.sigma_prime is None
                   else f"\\sigma'(z^{{{l}}}) \\odot {into}")
        rhs = f"y - t \\;(= {literal}\\text{{, simplified}})" if l == L and ex.fused else literal
        parts.append(f"\\delta^{{{l}}} = {rhs} = {col(tr.delta)}")
        out += [f"**Layer {l}**", "", "$$" + r", \quad ".join(parts) + "$$", ""]
        if l == L and ex.exact_output_delta is not None:
            out += [saturation_note(ex, f"${col(ex.exact_output_delta)}$").replace("note:", "Note:", 1), ""]
    out += [
        "## Gradients",
        "",
        r"$$\frac{\partial C(\theta)}{\partial w_{ij}^l} = \delta_i^l a_j^{l-1} \; (x_j \text{ for } l = 1), \qquad "
        r"\frac{\partial C(\theta)}{\partial b_i^l} = \delta_i^l$$",
        "",
    ]
    for tr in ex.layers:
        l = tr.l
        prev = "x" if l == 1 else f"(a^{{{l - 1}}})"
        penalty = f" + {num(ex.l2)} W^{{{l}}}" if ex.l2 else ""
        prev_vec = ex.x if l == 1 else ex.layers[l - 2].a
        (i, *_), (j, *_) = _worked_indices(tr.delta, prev_vec, 1)  # (the largest |delta_i| and |a_j|: not 0 = 0)
        ij = f"{i + 1}{j + 1}" if max(i, j) < 9 else f"{i + 1},{j + 1}"
        a_name = f"x_{{{j + 1}}}" if l == 1 else f"a_{{{j + 1}}}^{{{l - 1}}}"
        decay = f" + {num(ex.l2)} w_{{{ij}}}^{{{l}}}" if ex.l2 else ""
        decay_value = f" + {num(ex.l2)} ({num(tr.W[i, j])})" if ex.l2 else ""
        example = (f"\\frac{{\\partial C}}{{\\partial w_{{{ij}}}^{{{l}}}}} = \\delta_{{{i + 1}}}^{{{l}}} {a_name}{decay} = "
                   f"({num(tr.delta[i])})({num(prev_vec[j])}){decay_value} = {num(tr.dW[i, j])}")
        out += [
            f"$$\\frac{{\\partial C}}{{\\partial W^{{{l}}}}} = \\delta^{{{l}}} {prev}^T{penalty} = {mat(tr.dW)}, \\quad "
            f"\\frac{{\\partial C}}{{\\partial b^{{{l}}}}} = {col(tr.db)}$$",
            "",
        ]
        out += [f"$${example}$$", ""]
    out += ["## Update", "", f"$$\\theta \\leftarrow \\theta - \\eta \\nabla C(\\theta), \\quad \\eta = {num(ex.eta)}$$", ""]
    for tr in ex.layers:
        l = tr.l
        out += [f"$$W^{{{l}}} \\leftarrow {mat(tr.W_after)}, \\quad b^{{{l}}} \\leftarrow {col(tr.b_after)}$$", ""]
    change = ex.cost_after - ex.cost_before
    out += [f"Cost before: ${cost(ex.cost_before)}$; after: ${cost(ex.cost_after)}$ "
            f"(change ${'+' if change >= 0 else ''}{cost(change)}$).", ""]
    return "\n".join(out)


make_callable(__name__, explain)  # deltaprop.explain(net, x, t) is explain(net, x, t); the module stays the module
