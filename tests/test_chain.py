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
                  "f'(f(f(w))) f'(f(w)) f'(w)", "(z(w + eps) - z(w - eps)) / (2 eps)"):
        assert piece in text
    assert repr(r.dz_dw) in text and repr(r.finite_difference) in text
    assert "\\frac{dz}{dw}" in r.to_markdown()


def test_cli(capsys):
    assert main(["chain", "--f", "tanh", "--w", "-1.2"]) == 0
    out = capsys.readouterr().out
    assert f"= {chain_rule('tanh', -1.2).dz_dw!r}" in out
    assert main(["chain", "--f", "softmax"]) == 1
    assert "f: expected an element-wise activation" in capsys.readouterr().err


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
