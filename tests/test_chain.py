"""deltaprop.chain: the lecture's chain-rule example against closed forms and finite differences."""

from __future__ import annotations

import math

import pytest

from deltaprop.chain import chain_rule
from deltaprop.cli import main


def sig(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def test_sigmoid_matches_the_closed_form():
    r = chain_rule("sigmoid", 0.5)
    x, y, z = sig(0.5), sig(sig(0.5)), sig(sig(sig(0.5)))
    d = lambda v: sig(v) * (1 - sig(v))  # noqa: E731
    assert (r.x, r.y, r.z) == pytest.approx((x, y, z), rel=1e-15)
    # dz/dw = f'(y) f'(x) f'(w) -- the lecture's product, with the derivative taken at each step's input
    assert r.dz_dw == pytest.approx(d(y) * d(x) * d(0.5), rel=1e-14)
    assert r.dz_dy == pytest.approx(d(y), rel=1e-14) and r.dz_dx == pytest.approx(d(y) * d(x), rel=1e-14)
    assert r.finite_difference == pytest.approx(r.dz_dw, rel=1e-7)
    assert r.abs_error < 1e-9


@pytest.mark.parametrize("f, w", [("tanh", -1.2), ("relu", 0.3), ("leaky_relu", -0.7), ("identity", 2.0)])
def test_chain_rule_agrees_with_finite_differences(f, w):
    r = chain_rule(f, w)
    assert r.finite_difference == pytest.approx(r.dz_dw, rel=1e-6, abs=1e-9)


def test_tanh_value():
    r = chain_rule("tanh", 0.8)
    x, y = math.tanh(0.8), math.tanh(math.tanh(0.8))
    expected = (1 - math.tanh(y) ** 2) * (1 - math.tanh(x) ** 2) * (1 - math.tanh(0.8) ** 2)
    assert r.dz_dw == pytest.approx(expected, rel=1e-14)


def test_text_shows_each_step():
    r = chain_rule("sigmoid", 0.5)
    text = r.to_text()
    for piece in ("x = f(w) =", "dz/dy = f'(y) =", "dz/dx = dz/dy f'(x) =", "dz/dw = dz/dx f'(w) =",
                  "f'(f(f(w))) f'(f(w)) f'(w)", "(z(w + step) - z(w - step)) / (2 step)"):
        assert piece in text
    assert repr(r.dz_dw) in text and repr(r.finite_difference) in text
    assert "\\frac{dz}{dw}" in r.to_markdown()


def test_cli(capsys):
    assert main(["chain", "--f", "tanh", "--w", "-1.2"]) == 0
    out = capsys.readouterr().out
    assert f"= {chain_rule('tanh', -1.2).dz_dw!r}" in out
    assert main(["chain", "--f", "softmax"]) == 1
    assert "f: expected an element-wise activation" in capsys.readouterr().err


def test_precision_rounds_every_number_shown(capsys):
    r = chain_rule("sigmoid", 0.5)
    assert main(["chain", "--precision", "4"]) == 0
    out = capsys.readouterr().out
    assert f"x = f(w) = {r.x:.4g}\n" in out and f"so dz/dw = f'(y) f'(x) f'(w) = f'(f(f(w))) f'(f(w)) f'(w) = {r.dz_dw:.4g}\n" in out
    assert repr(r.x) not in out
    assert f"x = {r.x:.3g}" in r.to_markdown(precision=3)
    assert main(["chain", "--precision", "0"]) == 1
    assert "--precision: expected an integer >= 1 (leave it out for exact values); got 0" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, match", [
    (dict(f="softmax"), "f: expected an element-wise"),
    (dict(f="nope"), "f: unknown activation"),
    (dict(w=float("nan")), "w: expected a finite number"),
    (dict(eps=0.0), "eps: expected a number > 0"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        chain_rule(**kwargs)


def test_the_finite_difference_step_grows_with_a_large_w():
    # Before: a step of 1e-6 is below the spacing of floats near 1e10, and the check gave 1.907 for dz/dw = 1
    from deltaprop.chain import chain_rule

    result = chain_rule("identity", 1e10)
    assert result.dz_dw == 1.0 and abs(result.finite_difference - 1.0) < 1e-6 and result.eps == 1e-6 * 1e10
    assert chain_rule("identity", 0.5).eps == 1e-6  # |w| <= 1: the step as given


def test_a_kink_is_noted_not_left_as_an_unexplained_difference():
    # Before: relu at 0 gave chain rule 0, finite difference 0.5, and no word on why
    r = chain_rule("relu", 0.0)
    assert r.abs_error == 0.5 and len(r.notes) == 1
    assert "w = 0.0, x = 0.0, y = 0.0: at relu's kink at 0" in r.notes[0]
    assert "the chain rule takes f'(0) = 0 (as backprop does)" in r.notes[0]
    assert "  note: w = 0.0" in r.to_text() and "Note: w = 0.0" in r.to_markdown()
    # the step straddles the kink, w itself is off it: its slope is exact, not f'(0) (a teacher's review)
    near = chain_rule("leaky_relu", 1e-9).notes
    assert len(near) == 1 and "w = 1e-09, x = 1e-09, y = 1e-09: within the finite difference's step of leaky_relu's kink" in near[0]
    assert "the chain rule's slope is exact there" in near[0] and "f'(0)" not in near[0]
    assert chain_rule("relu", 0.3).notes == [] and chain_rule("sigmoid", 0.0).notes == []
    # x = relu(w) = 0 for w < 0 on the whole step: one slope, chain rule and finite difference agree, no note
    assert chain_rule("relu", -0.3).notes == [] and chain_rule("relu", -0.3).abs_error == 0


def test_an_overflow_is_noted():
    # Before: exp at w = 10 printed a difference of nan, with no message
    r = chain_rule("exp", 10.0)
    assert len(r.notes) == 1 and "y = inf" in r.notes[0] and "the finite difference = nan" in r.notes[0]
    assert "a value overflowed float64" in r.notes[0] and "take a smaller |w|" in r.notes[0]
    assert chain_rule("exp", 0.5).notes == []


def test_the_step_is_printed_as_eps_times_max_1_w(capsys):
    # Before: "(eps = 3e-06)" though --eps was 1e-6: that was the step eps max(1, |w|)
    r = chain_rule("identity", 3.0)
    assert r.eps == 3e-6 and r.eps_given == 1e-6
    # (on a line of its own since a teacher's review: beside the estimate the line ran to 110 columns)
    assert "\n  step = eps * max(1, |w|) = 1e-06 * 3 = 3e-06\n  (z(w + step) - z(w - step)) / (2 step) = " in r.to_text()
    # (in LaTeX math, as powers of ten: "1e-06" there renders as "1e - 06")
    assert r"step $h = \epsilon \max(1, |w|) = 1 \times 10^{-6} \cdot 3 = 3 \times 10^{-6}$" in r.to_markdown()
    with pytest.raises(SystemExit):
        main(["chain", "--help"])
    assert "sigmoid, tanh, relu, leaky_relu, identity, exp" in " ".join(capsys.readouterr().out.split())
    assert main(["chain", "--w", "-1e-3"]) == 0  # argparse's own pattern took -1e-3 for a flag
    assert "w = -0.001" in capsys.readouterr().out


def test_inf_and_nan_in_the_markdown_are_latex_not_italic_letters():
    # From a teacher's review: exp at w = 3 wrote "$z = inf$" and "$nan$", italic letters in LaTeX
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        md = chain_rule("exp", 3.0).to_markdown()
    assert r"z = \infty$$" in md and r"(\infty)(528491311.4854943)" in md
    assert r": $\text{NaN}$ (difference $\text{NaN}$)." in md
    assert "= inf" not in md.split("Note:")[0] and "$nan$" not in md


def test_the_printout_keeps_to_80_columns_without_losing_a_digit():
    # From a teacher's review: the finite-difference line ran to 110 columns, the long products to 88
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cases = [chain_rule("sigmoid", 0.5), chain_rule("tanh", -1.2), chain_rule("exp", 3.0),
                 chain_rule("leaky_relu", -1e-7), chain_rule("relu", 0.0)]
    for r in cases:
        text = r.to_text()
        assert max(map(len, text.splitlines())) <= 80, text
        for value in (r.x, r.y, r.z, r.dz_dy, r.dz_dx, r.dz_dw, r.finite_difference):
            assert repr(value) in text
        assert all(" ".join(note.split()) in " ".join(text.split()) for note in r.notes)
    lines = chain_rule("sigmoid", 0.5).to_text().splitlines()
    at = lines.index("  so dz/dw = f'(y) f'(x) f'(w) = f'(f(f(w))) f'(f(w)) f'(w)")
    assert lines[at + 1] == f"           = {chain_rule('sigmoid', 0.5).dz_dw!r}"  # (under the first "=")
