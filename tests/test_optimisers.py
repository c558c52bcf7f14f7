"""One step of each optimiser equals its update written out by hand."""

import math

import numpy as np
import pytest

from deltaprop.optimisers import (SCHEDULES, SGD, Adam, AdamW, GD, RMSprop, apply_update, cosine, get_optimiser, get_schedule,
                                  exponential, is_elementwise, step_decay)

THETA = np.array([[0.5, -1.0], [2.0, 0.25]])
G1 = np.array([[0.1, -0.2], [0.3, 0.0]])
G2 = np.array([[-0.05, 0.4], [0.1, 0.2]])


def steps(opt, grads, eta):
    theta = THETA.copy()
    state = opt.init(theta)
    for t, g in enumerate(grads, start=1):
        opt.update(theta, g, state, eta, t)
    return theta


def test_gd_is_the_lectures_update():
    # theta^{i+1} <- theta^i - eta grad C(theta^i)
    np.testing.assert_allclose(steps(GD(), [G1], 0.5), THETA - 0.5 * G1, rtol=0, atol=0)


def test_sgd_with_momentum_two_steps():
    mu, eta = 0.9, 0.1
    v1 = -eta * G1
    v2 = mu * v1 - eta * G2
    np.testing.assert_allclose(steps(SGD(momentum=mu), [G1, G2], eta), THETA + v1 + v2, rtol=1e-15)


def test_sgd_without_momentum_keeps_no_state():
    opt = SGD(momentum=0.0)
    assert opt.init(THETA) == ()
    np.testing.assert_allclose(steps(opt, [G1, G2], 0.1), THETA - 0.1 * G1 - 0.1 * G2, rtol=1e-15)


def test_nesterov_two_steps():
    mu, eta = 0.9, 0.1
    v1 = -eta * G1
    theta1 = THETA + mu * v1 - eta * G1
    v2 = mu * v1 - eta * G2
    theta2 = theta1 + mu * v2 - eta * G2
    np.testing.assert_allclose(steps(SGD(momentum=mu, nesterov=True), [G1, G2], eta), theta2, rtol=1e-15)


def test_adam_two_steps():
    b1, b2, eps, eta = 0.9, 0.999, 1e-8, 0.01
    m = v = np.zeros_like(THETA)
    theta = THETA.copy()
    for t, g in enumerate([G1, G2], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        eta_t = eta * math.sqrt(1 - b2**t) / (1 - b1**t)
        theta = theta - eta_t * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(steps(Adam(b1, b2, eps), [G1, G2], eta), theta, rtol=1e-14)


def test_adamw_two_steps_decay_theta_apart_from_the_gradient():
    b1, b2, eps, eta, lam = 0.9, 0.999, 1e-8, 0.01, 0.1
    m = v = np.zeros_like(THETA)
    theta = THETA.copy()
    for t, g in enumerate([G1, G2], start=1):
        theta = theta * (1 - eta * lam)  # theta <- theta (1 - eta lambda), before Adam's step
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        eta_t = eta * math.sqrt(1 - b2**t) / (1 - b1**t)
        theta = theta - eta_t * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(steps(AdamW(b1, b2, eps, weight_decay=lam), [G1, G2], eta), theta, rtol=1e-14)
    # weight_decay 0 is Adam, bit for bit
    np.testing.assert_array_equal(steps(AdamW(weight_decay=0.0), [G1, G2], eta), steps(Adam(), [G1, G2], eta))


def test_rmsprop_two_steps():
    rho, eps, eta = 0.9, 1e-8, 0.01
    v = np.zeros_like(THETA)
    theta = THETA.copy()
    for g in [G1, G2]:
        v = rho * v + (1 - rho) * g * g
        theta = theta - eta * g / (np.sqrt(v) + eps)
    np.testing.assert_allclose(steps(RMSprop(rho, eps), [G1, G2], eta), theta, rtol=1e-14)


@pytest.mark.parametrize("name", ["adamw", "rmsprop"])
def test_new_optimisers_are_elementwise_and_keep_float32(name):
    opt = get_optimiser(name)
    assert is_elementwise(opt)
    theta = THETA.astype(np.float32)
    state = opt.init(theta)
    opt.update(theta, G1.astype(np.float32), state, 0.01, 1)
    assert theta.dtype == np.float32 and all(s.dtype == np.float32 for s in state)
    # one call on the whole vector is the same numbers as one call per piece
    whole, pieces = THETA.ravel().copy(), [THETA[0].copy(), THETA[1].copy()]
    opt_whole, opt_pieces = get_optimiser(name), get_optimiser(name)
    sw, sp = opt_whole.init(whole), [opt_pieces.init(p) for p in pieces]
    for t, g in enumerate([G1, G2], start=1):
        opt_whole.update(whole, g.ravel(), sw, 0.01, t)
        for p, gp, s in zip(pieces, g, sp):
            opt_pieces.update(p, gp.copy(), s, 0.01, t)
    np.testing.assert_array_equal(whole, np.concatenate(pieces))


def test_float32_parameters_stay_float32():
    theta = THETA.astype(np.float32)
    for opt in (GD(), SGD(), Adam()):
        p = theta.copy()
        state = opt.init(p)
        opt.update(p, G1.astype(np.float32), state, 0.1, 1)
        assert p.dtype == np.float32


def test_apply_update_changes_every_parameter_in_place():
    params = [THETA.copy(), np.ones(2)]
    ids = [id(p) for p in params]
    apply_update(GD(), params, [G1, np.ones(2)], [(), ()], 1.0, 1)
    assert [id(p) for p in params] == ids
    np.testing.assert_allclose(params[1], 0.0)


def test_schedules():
    assert get_schedule("constant")(0.1, 7, 10) == 0.1
    assert step_decay(every=2, factor=0.5)(1.0, 5, 10) == 0.25
    assert cosine()(1.0, 0, 10) == pytest.approx(1.0)
    assert cosine()(1.0, 5, 10) == pytest.approx(0.5)
    assert cosine()(1.0, 10, 10) == pytest.approx(0.0, abs=1e-12)
    assert SCHEDULES["exponential"](1.0, 2, 10) == pytest.approx(0.95**2)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: step_decay(every=0), ["every", "integer >= 1", "got 0"]),
        (lambda: step_decay(every="2"), ["every", "integer >= 1", "'2'"]),
        (lambda: step_decay(factor=0), ["factor", "> 0", "got 0"]),
        (lambda: cosine(eta_min=-1e-3), ["eta_min", ">= 0", "-0.001"]),
        (lambda: exponential(gamma=float("nan")), ["gamma", "> 0", "nan"]),
        (lambda: get_optimiser("nadam"), ["optimiser", "nadam", "adamw", "rmsprop"]),
        (lambda: AdamW(weight_decay=-0.1), ["weight_decay", ">= 0", "-0.1"]),
        (lambda: RMSprop(rho=1.0), ["rho", "[0, 1)", "1.0"]),
        (lambda: RMSprop(epsilon=0), ["epsilon", "> 0"]),
        (lambda: SGD(momentum=1.5), ["momentum", "1.5"]),
        (lambda: Adam(beta_1=1.0), ["beta_1", "1.0"]),
        (lambda: get_schedule("linear"), ["schedule", "linear", "cosine"]),
    ],
)
def test_bad_options_are_named(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_fit_takes_an_optimisers_own_defaults():
    # Before: fit looked default learning rates up by registry name at import (0.01 for any other), and passed
    # its own momentum=0.9 and epsilon=1e-8 over a class's defaults
    from dataclasses import dataclass

    import deltaprop as dp
    from deltaprop.optimisers import OPTIMISERS, default_learning_rate

    @dataclass
    class KerasRMSprop(RMSprop):
        epsilon: float = 1e-7
        name = "keras_rmsprop"

    @dataclass
    class PlainMomentum(SGD):
        momentum: float = 0.0
        name = "plain"
        learning_rate = 0.3

    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    OPTIMISERS.update(keras_rmsprop=KerasRMSprop, plain=PlainMomentum)
    try:
        for given, expected, eta in [("keras_rmsprop", KerasRMSprop(rho=0.9, epsilon=1e-7), 0.001),
                                     ("plain", PlainMomentum(momentum=0.0), 0.3), (PlainMomentum(), PlainMomentum(), 0.3)]:
            history = dp.Network([3, 2], seed=0).fit(X, y, optimiser=given, epochs=1)
            assert history.optimiser_state.optimiser == expected and history.learning_rate == [eta]
        history = dp.Network([3, 2], seed=0).fit(X, y, optimiser="keras_rmsprop", epsilon=1e-3, epochs=1)
        assert history.optimiser_state.optimiser == KerasRMSprop(epsilon=1e-3)
        with pytest.raises(ValueError, match=r"momentum: optimiser 'keras_rmsprop' has no such setting \(fit takes for it: "
                                             r"rho, epsilon\); got momentum=0.5"):
            dp.Network([3, 2], seed=0).fit(X, y, optimiser="keras_rmsprop", epsilon=1e-3, momentum=0.5, epochs=1)
    finally:
        del OPTIMISERS["keras_rmsprop"], OPTIMISERS["plain"]
    assert default_learning_rate("lbfgs") is None and default_learning_rate(object()) == 0.01


@pytest.mark.parametrize("optimiser, given, message", [
    ("adam", dict(momentum=0.5), r"momentum: optimiser 'adam' has no such setting \(fit takes for it: beta_1, beta_2, epsilon\); got momentum=0.5"),
    ("sgd", dict(beta_1=0.8), r"beta_1: optimiser 'sgd' has no such setting \(fit takes for it: momentum, nesterov\); got beta_1=0.8"),
    ("gd", dict(nesterov=True), r"nesterov: optimiser 'gd' has no such setting \(fit takes for it: none\); got nesterov=True"),
    ("rmsprop", dict(beta_2=0.9), r"beta_2: optimiser 'rmsprop' has no such setting \(fit takes for it: rho, epsilon\)"),
    ("lbfgs", dict(epsilon=1e-3), r"epsilon: optimiser 'lbfgs' has no such setting \(fit takes for it: none\)"),
    ("adam", dict(weight_decay=0.1), r"weight_decay: optimiser 'adam' has no such setting"),
    (SGD(momentum=0.5), dict(momentum=0.9), r"momentum: an optimiser object carries its own settings; got momentum=0.9 "
                                            r"beside optimiser=SGD\(momentum=0.5, nesterov=False\)\. Set it on the object"),
    (Adam(), dict(momentum=0.9), r"momentum: an optimiser object carries its own settings"),
])
def test_fit_refuses_a_setting_its_optimiser_would_ignore(optimiser, given, message):
    # Before: fit(optimiser="adam", momentum=0.5) trained Adam as if momentum had not been given, and an
    # object's settings silently won over the ones given beside it
    import deltaprop as dp

    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    net = dp.Network([3, 2], seed=0)
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(ValueError, match=message):
        net.fit(X, y, optimiser=optimiser, epochs=1, **given)
    assert all(np.array_equal(p, q) for p, q in zip(before, net.parameters()))


def test_the_defaults_are_scikit_learns_and_pytorchs():
    from sklearn.neural_network import MLPClassifier

    sk = MLPClassifier()
    assert (Adam().beta_1, Adam().beta_2, Adam().epsilon) == (sk.beta_1, sk.beta_2, sk.epsilon) == (0.9, 0.999, 1e-8)
    assert SGD().momentum == sk.momentum == 0.9 and SGD().nesterov is False
    assert (RMSprop().rho, RMSprop().epsilon) == (0.9, 1e-8) and AdamW().weight_decay == 0.01


def test_cosine_runs_from_eta0_down_to_eta_min():
    schedule = cosine(eta_min=0.1)
    assert schedule(1.0, 0, 10) == pytest.approx(1.0)
    assert schedule(1.0, 10, 10) == pytest.approx(0.1)
    assert schedule(1.0, 5, 10) == pytest.approx(0.55)


def test_an_object_without_init_and_update_is_refused():
    with pytest.raises(TypeError, match=r"optimiser must be a name .* or an object with init\(param\) and update"):
        get_optimiser(object())


def test_fit_takes_rmsprops_rho():
    from deltaprop import Network

    # Before: fit(optimiser="rmsprop", rho=0.5) was a TypeError (no such keyword), so rho could only be set on an object
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, size=20)
    history = Network([3, 2], seed=0).fit(X, y, optimiser="rmsprop", rho=0.5, epochs=1)
    assert history.optimiser_state.optimiser == RMSprop(rho=0.5)
    with pytest.raises(ValueError, match=r"rho: optimiser 'adam' has no such setting"):
        Network([3, 2], seed=0).fit(X, y, optimiser="adam", rho=0.5, epochs=1)
