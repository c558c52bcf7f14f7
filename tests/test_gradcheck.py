"""The gradient check itself: it passes a right gradient and catches wrong ones, even one entry."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.gradcheck import entry_error, relative_error
from deltaprop.network import Network


def test_one_wrong_weight_in_a_large_layer_is_caught(rng, monkeypatch):
    # 30 x 40 = 1200 weights in layer 1: one of them off by 1e-4 of the layer's largest gradient
    # moves the whole-array error by only ~1e-4 / sqrt(1200) / 2, but the worst-entry error by 5e-5.
    net = Network([40, 30, 3], activation="tanh", output="softmax", loss="cross_entropy", seed=0, dtype="float64")
    X = rng.normal(size=(8, 40))
    T = np.eye(3)[rng.integers(0, 3, size=8)]
    assert dp.gradcheck(net, X, T).passed(1e-6)
    backward = Network.backward

    def off_by_one_entry(self, *args, **kwargs):
        grads = backward(self, *args, **kwargs)
        dW1 = grads.dW[0]
        dW1[7, 11] += 1e-4 * np.abs(dW1).max()
        return grads

    monkeypatch.setattr(Network, "backward", off_by_one_entry)
    result = dp.gradcheck(net, X, T)
    assert result.weight_errors[0] < 1e-5  # the whole-array error alone would not tell at 1e-5
    assert 2e-5 < result.weight_entry_errors[0] < 1e-4 and not result.passed(1e-6)
    assert "layer 1: worst entry of W" in str(result)


def test_entry_and_relative_error_are_scale_free_and_zero_for_zero():
    a = np.array([[1.0, -2.0], [0.0, 4.0]])
    n = a.copy()
    n[1, 0] = 1e-10  # a zero gradient's rounding noise: small against the layer's scale
    assert entry_error(a, n) == pytest.approx(1e-10 / 8) and entry_error(1e3 * a, 1e3 * n) == pytest.approx(1e-10 / 8)
    assert relative_error(a, n) == pytest.approx(1e-10 / (2 * np.linalg.norm(a)))
    assert entry_error(np.zeros(3), np.zeros(3)) == relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_gradcheck_and_explain_are_functions_and_stay_modules():
    # A fresh interpreter: what `import deltaprop` alone gives, as a user sees it.
    import subprocess
    import sys

    code = """
import numpy as np
import deltaprop as dp
net = dp.Network([2, 3, 2], dtype="float64", seed=0)
assert dp.gradcheck(net, np.ones((2, 2)), np.eye(2)).passed()
assert type(dp.explain(net, [0.1, 0.2], [1.0, 0.0])).__name__ == "Explanation"
assert callable(dp.gradcheck.numerical_gradient) and callable(dp.explain.format_number)
import deltaprop.gradcheck as g
import deltaprop.explain as ex
assert g.relative_error is dp.gradcheck.relative_error and ex.Explanation is dp.Explanation
assert dp.gradflow.GradientFlow.__name__ == "GradientFlow" and callable(dp.netplot.draw_network)
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


# An activation of one's own under a registry name, whose derivative is wrong: the sigmoid of 2z with the
# derivative of the sigmoid of z (missing the factor 2). Module-level functions, so that pickle can store them.
def _steep_sigmoid(z):
    return 1 / (1 + np.exp(-2 * z))


def _half_its_derivative(z, a):
    return a * (1 - a)


def test_gradcheck_checks_an_activation_of_ones_own_not_the_registrys_of_its_name():
    # Before: gradcheck's float64 copy (a deep copy) rebuilt the activation by name, so it checked the
    # registry's sigmoid, found it right and passed a wrong derivative
    import pickle

    from deltaprop.activations import Activation

    wrong = Activation("sigmoid", _steep_sigmoid, _half_its_derivative)
    net = Network([3, 4, 2], activation=wrong, output="identity", loss="quadratic", seed=0, dtype="float64")
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    assert not dp.gradcheck(net, X, T).passed()
    assert net.astype(np.float32).hidden_activations[0] is wrong and net.copy().hidden_activations[0] is wrong
    assert pickle.loads(pickle.dumps(net)).hidden_activations[0].forward is _steep_sigmoid
    # under a name of its own it is a hidden activation too (element-wise), and a right one passes
    mine = Activation("steep", _steep_sigmoid, lambda z, a: 2 * a * (1 - a))
    assert dp.gradcheck(Network([3, 4, 2], activation=mine, output="identity", loss="quadratic", seed=0), X, T).passed()


def test_gradcheck_passes_at_a_minimum_where_the_gradient_is_zero():
    # Before: the finite differences' rounding noise (~1e-13) against a zero gradient gave relative error 1
    net = Network([2, 3, 1], activation="tanh", output="identity", loss="quadratic", seed=0, dtype="float64")
    X = np.array([[0.1, 0.2], [0.3, -0.1]])
    T = net.predict_output(X)  # the outputs themselves: C = 0, the gradient exactly 0
    assert all(not g.any() for g in net.backward(net.forward(X), T).dW)
    assert dp.gradcheck(net, X, T).passed()
    assert not dp.gradcheck(net, X, T, atol=0.0).passed()  # the noise alone, measured against nothing
    T[0, 0] += 1e-3  # a small but real gradient is still checked in relative terms
    result = dp.gradcheck(net, X, T)
    assert result.passed() and 0 < result.max_error


class _HalfGradient(dp.activations.Activation):
    def vjp(self, z, a, g):
        return 0.5 * super().vjp(z, a, g)


def test_a_subclass_of_activation_stays_itself_when_pickled():
    import pickle

    act = _HalfGradient("half", _steep_sigmoid, _half_its_derivative)
    back = pickle.loads(pickle.dumps(Network([3, 4, 2], activation=act, seed=0)))
    assert type(back.hidden_activations[0]) is _HalfGradient


# Cases a mutation audit found unguarded (each test fails with the mutant it names).


def test_one_wrong_entry_fails_the_check_through_the_entry_errors():
    from deltaprop.gradcheck import GradcheckResult

    result = GradcheckResult([1e-9], [1e-9], weight_entry_errors=[0.3], bias_entry_errors=[0.0])
    assert result.max_error == 0.3 and not result.passed()


def test_numerical_gradient_is_float64_and_gradcheck_takes_weights_and_the_fused_setting():
    from deltaprop.gradcheck import numerical_gradient

    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3)).astype(np.float32)
    net = Network([3, 4, 2], "tanh", seed=0)  # float32
    T = np.eye(2)[np.arange(6) % 2]
    dW, db = numerical_gradient(net, X, T)
    assert all(g.dtype == np.float64 for g in dW + db)
    weights = np.array([5.0, 0.1, 1.0, 3.0, 0.0, 2.0])
    assert dp.gradcheck(net, X, T, sample_weight=weights).passed()  # the finite differences weigh the examples too
    # a saturated sigmoid output: the fused delta (y - t) and the literal one (sigma' (.) dc/dy, 0 there) differ
    sat = Network([1, 1], output="sigmoid", loss="binary_cross_entropy", seed=0, dtype="float64")
    sat.weights[0][...] = 50.0
    x, t = np.ones((1, 1)), np.zeros((1, 1))
    assert dp.gradcheck(sat, x, t, fused=True).max_error != dp.gradcheck(sat, x, t, fused=False).max_error


def test_a_vanishing_gradient_is_checked_as_far_as_finite_differences_resolve_it():
    # Before: the README's 5 x 30 sigmoid network failed (3.4e-6: rounding noise against small gradients), a
    # 13-layer one failed at 1e-2, and a layer whose gradient backpropagation wrongly zeroed read 0.00e+00
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, T = X[:10, ::4] / 16, np.eye(10)[y[:10]]
    deep = Network([16] + [10] * 10 + [10], activation="sigmoid", seed=0, dtype="float64")
    result = dp.gradcheck(deep, X, T)
    assert result.max_error > 1e-3 and result.passed() and "W^1" in result.within_noise
    first_row = next(line for line in str(result).splitlines() if line.startswith("layer 1: W"))  # (under the headers)
    assert "the difference is the finite differences' rounding noise" in str(result) and "*" in first_row

    class ZeroFirstLayer(Network):  # a mistake finite differences can still see (dC/dW^1 ~ 20 times the noise)
        def _backward(self, fp, T, w, fused):
            grads = super()._backward(fp, T, w, fused)
            grads.dW[0][...] = 0
            return grads

    broken = ZeroFirstLayer([16] + [10] * 10 + [10], activation="sigmoid", seed=0, dtype="float64")
    assert not dp.gradcheck(broken, X, T).passed()
    tiny = ZeroFirstLayer([3] + [4] * 20 + [2], seed=0, dtype="float64")  # ||dC/dW^1|| ~ 5e-15: no finite difference sees it
    X3 = np.random.default_rng(0).normal(size=(4, 3))
    result = dp.gradcheck(tiny, X3, np.eye(2)[[0, 1, 0, 1]])
    assert "W^1" in result.unresolved and "layer 1: W below resolution" in str(result)


def test_near_a_minimum_the_noise_is_measured_and_a_wrong_sign_still_fails():
    # Before: a classifier fitted to C = 1.3e-6 failed at 5.7e-3 with a correct gradient: the noise modelled
    # from |C| (1e-15) was far below the real one (3e-11, from the terms C is computed from)
    net = Network([2, 4, 2], activation="tanh", output="softmax", loss="cross_entropy", seed=1, dtype="float64")
    X, y = np.array([[1.0, 0.5], [-1.0, -0.5], [0.8, 0.1], [-0.7, -0.3]]), np.array([0, 1, 0, 1])
    net.fit(X, y, epochs=5000, learning_rate=0.05, batch_size=4)
    T = np.eye(2)[y]
    result = dp.gradcheck(net, X, T)
    assert net.loss(X, T) < 1e-5 and result.max_error > 1e-4 and result.passed()

    class WrongSign(Network):
        def _backward(self, fp, T, w, fused):
            grads = super()._backward(fp, T, w, fused)
            grads.db[0] *= -1
            return grads

    wrong = WrongSign([2, 4, 2], activation="tanh", output="softmax", loss="cross_entropy", seed=1, dtype="float64")
    for p, q in zip(wrong.parameters(), net.parameters()):
        p[...] = q
    assert not dp.gradcheck(wrong, X, T).passed()


def test_truncation_error_of_the_second_pass_excuses_no_wrong_gradient():
    # A review's case: unscaled inputs (x ~ 200), eps = 1e-4, dC/dW^1 10% too large. The finite differences at
    # 10 eps differ from those at eps by truncation (which grows with the step), not by rounding noise;
    # counted as noise it let the wrong gradient pass
    class TenPercentOff(Network):
        def _backward(self, fp, T, w, fused):
            grads = super()._backward(fp, T, w, fused)
            grads.dW[0] *= 1.1
            return grads

    rng = np.random.default_rng(7)
    X, T = rng.normal(size=(16, 4)) * 200, np.eye(3)[rng.integers(0, 3, 16)]
    net = TenPercentOff([4, 8, 3], activation="tanh", output="softmax", loss="cross_entropy", seed=2, dtype="float64")
    result = dp.gradcheck(net, X, T, eps=1e-4)
    assert not result.passed() and "W^1" not in result.within_noise


# From a teacher's review: the README's XOR with activation="relu" failed the check at b^1 (65%) with no
# reason given. Zero biases and the input (0, 0) put every hidden unit at z^1 = 0, relu's kink: backprop
# takes relu'(0) = 0 (as PyTorch does), while a finite difference straddling the kink averages 0 and 1.

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_T = np.array([[0], [1], [1], [0]], dtype=float)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_finite_differences_across_a_kink_are_left_out_and_said(activation):
    net = Network([2, 3, 1], activation=activation, loss="quadratic", output="sigmoid", seed=0, dtype="float64")
    result = dp.gradcheck(net, XOR_X, XOR_T)
    assert result.at_kink == {"b^1": (3, 3)} and result.passed(), str(result)
    text = str(result)
    assert result.weight_errors[0] > 0  # (W^1 is checked: moving W^1 leaves z^1 of the input (0, 0) at 0)
    assert "b at a kink" in text and "b^1 (3 of 3 entries)" in text and "kink of its activation" in text
    assert "passed: every error below 1e-06" in text
    net.biases[0][...] = [0.0, 0.3, -0.2]  # one unit still at the kink for (0, 0): only its bias is left out
    result = dp.gradcheck(net, XOR_X, XOR_T)
    assert result.at_kink == {"b^1": (1, 3)} and result.passed() and result.bias_errors[0] > 0
    assert "b^1 (1 of 3 entries)" in str(result)


def test_entries_clear_of_a_kink_are_still_checked_and_a_wrong_one_fails():
    class WrongSecondBias(Network):
        def _backward(self, fp, T, w, fused):
            grads = super()._backward(fp, T, w, fused)
            grads.db[0][1] *= 1.01  # a unit clear of the kink
            return grads

    net = WrongSecondBias([2, 3, 1], activation="relu", loss="quadratic", output="sigmoid", seed=0, dtype="float64")
    net.biases[0][...] = [0.0, 0.3, -0.2]
    result = dp.gradcheck(net, XOR_X, XOR_T)
    assert result.at_kink == {"b^1": (1, 3)} and not result.passed() and result.failures() == ["b^1"]
    assert str(result).endswith("FAILED: b^1 at or above 1e-06")
    smooth = Network([2, 3, 1], activation="tanh", loss="quadratic", output="sigmoid", seed=0, dtype="float64")
    assert dp.gradcheck(smooth, XOR_X, XOR_T).at_kink == {}  # (no kink, nothing left out, even at z = 0)


def test_the_cost_beside_the_kinks_is_network_loss_bit_for_bit():
    from deltaprop.gradcheck import _cost_and_sides

    rng = np.random.default_rng(0)
    X, T, w = rng.normal(size=(6, 3)), np.eye(2)[[0, 1, 1, 0, 1, 0]], rng.random(6) + 0.5
    net = Network([3, 4, 5, 2], activation=["relu", "tanh"], seed=0, dtype="float64", l2=0.01)
    cost, sides = _cost_and_sides(net, X, T, net._normalised_weights(w, 6))
    assert cost == net.loss(X, T, sample_weight=w) and len(sides) == 1 and sides[0].shape == (6, 4)


def test_the_printout_says_pass_or_fail_at_its_tolerance_and_a_float32_networks_copy():
    net = Network([2, 3, 1], activation="sigmoid", loss="quadratic", output="sigmoid", seed=0, dtype="float32")
    result = dp.gradcheck(net, XOR_X, XOR_T)
    assert result.dtype == "float32" and "checked on a float64 copy of this float32 network" in str(result)
    assert str(result).endswith("passed: every error below 1e-06")
    strict = dp.gradcheck(net, XOR_X, XOR_T, tolerance=1e-12)  # (errors of about 1e-9 to 1e-8)
    assert not strict.passed() and strict.passed(1e-6) and "FAILED: W^1" in str(strict)
    assert "float64 copy" not in str(dp.gradcheck(net.astype(np.float64), XOR_X, XOR_T))
    with pytest.raises(ValueError, match=r"tolerance: expected the largest relative error that passes"):
        dp.gradcheck(net, XOR_X, XOR_T, tolerance=0)


def test_a_check_of_nothing_says_so_rather_than_passed():
    # From a review: a relu output at z = 0 for the one example put every array at a kink, and the printout said "passed"
    net = Network([2, 1], activation="relu", output="relu", loss="quadratic", seed=0, dtype="float64")
    result = dp.gradcheck(net, np.zeros((1, 2)), np.ones((1, 1)))
    assert result.at_kink == {"b^1": (1, 1)} and result.unresolved == ["W^1"] and str(result).endswith(
        "nothing was checked: every array is below what finite differences resolve, or at a kink (try other examples, "
        "or more of them)")


def test_the_printout_says_what_its_numbers_are():
    # From a teacher's review: the first rows, "layer 1: W 7.68e-09  b 1.99e-09", did not say they are the relative
    # error of the whole array (and the next rows that of the worst entry)
    net = Network([2, 3, 2], seed=0, dtype="float64")
    rows = str(dp.gradcheck(net, XOR_X, np.eye(2)[[0, 1, 1, 0]])).splitlines()
    assert rows[:2] == ["relative errors, a = backpropagation's dC/dW^l or dC/db^l, n = the finite differences':",
                        "whole array, ||a - n|| / (||a|| + ||n||):"]
    assert rows[2].startswith("layer 1: W ") and rows[3].startswith("layer 2: W ")
    assert rows[4] == "worst entry, max_k |a_k - n_k| / (max_k |a_k| + max_k |n_k|):"
    assert rows[5].startswith("layer 1: worst entry of W ")
