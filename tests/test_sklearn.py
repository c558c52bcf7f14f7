"""DeltapropClassifier / DeltapropRegressor: scikit-learn's own estimator checks,
the meta-estimators, round trips, target types, and a comparison with MLP."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import datasets
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import deltaprop
from deltaprop import Callback
from deltaprop.sklearn import DeltapropClassifier, DeltapropRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    # Small matrices on a shared 2-core machine: BLAS threads only contend (25x slower).
    with threadpool_limits(limits=1):
        yield


def scaled(name):
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris():
    return scaled("iris")


# ---------------------------------------------------------------- scikit-learn's checks
# No check is skipped or marked as expected to fail. Two report "skipped" from inside
# scikit-learn itself, with its reason: check_array_api_input (SCIPY_ARRAY_API not set,
# the same for every estimator) and ..._format_decision_function (MLP has no
# decision_function either).


@parametrize_with_checks(
    [
        DeltapropClassifier(),
        DeltapropRegressor(),
        # the lecture's full-batch gradient descent, per-layer activations
        DeltapropClassifier(solver="gd", learning_rate_init=0.5, hidden_layer_sizes=(20, 10),
                            activation=["logistic", "tanh"], max_iter=100),
        # sgd with momentum and scikit-learn's adaptive learning rate
        DeltapropRegressor(solver="sgd", learning_rate="adaptive", learning_rate_init=0.003,
                           hidden_layer_sizes=(30,), max_iter=100, n_iter_no_change=3),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------- meta-estimators


def test_pipeline_scales_then_fits(iris):
    X, y = datasets.load_iris(return_X_y=True)  # unscaled: the pipeline scales
    pipe = make_pipeline(StandardScaler(), DeltapropClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0))
    pipe.fit(X, y)
    direct = DeltapropClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(iris[0], y)
    np.testing.assert_allclose(pipe.predict_proba(X), direct.predict_proba(iris[0]), rtol=1e-6, atol=1e-9)
    assert pipe.score(X, y) > 0.95


def test_grid_search_sets_parameters(iris):
    X, y = iris
    grid = GridSearchCV(
        DeltapropClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0),
        {"max_iter": [1, 200]},
        cv=3,
    ).fit(X, y)
    assert grid.best_params_ == {"max_iter": 200}
    scores = grid.cv_results_["mean_test_score"]
    assert scores[1] > 0.9 and scores[0] < scores[1]
    assert grid.best_estimator_.n_iter_ > 1


def test_cross_val_score_matches_manual_folds(iris):
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(est, X, y, cv=cv)
    manual = [clone(est).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in cv.split(X)]
    np.testing.assert_array_equal(scores, manual)
    assert scores.mean() > 0.9


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("Estimator", [DeltapropClassifier, DeltapropRegressor])
def test_clone_and_pickle_keep_predictions(Estimator, iris):
    X, y = iris
    est = Estimator(hidden_layer_sizes=(8,), dropout=0.1, activation="tanh", max_iter=20, random_state=3).fit(X, y)
    method = est.predict_proba if Estimator is DeltapropClassifier else est.predict
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(getattr(restored, method.__name__)(X), method(X))
    again = clone(est)
    assert not hasattr(again, "n_features_in_") and again.get_params() == est.get_params()
    np.testing.assert_array_equal(getattr(again.fit(X, y), method.__name__)(X), method(X))
    # the optimiser's state travels too: one more epoch gives the same model either way
    est.partial_fit(X, y)
    restored.partial_fit(X, y)
    np.testing.assert_array_equal(getattr(restored, method.__name__)(X), method(X))


# ---------------------------------------------------------------- target types


def test_binary_and_multiclass(iris):
    X, y = iris
    binary = DeltapropClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(X, y == 2)
    assert binary.out_activation_ == "logistic" and binary.n_outputs_ == 1
    assert binary.predict_proba(X).shape == (150, 2) and binary.predict(X).dtype == bool
    multi = DeltapropClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(X, y)
    assert multi.out_activation_ == "softmax" and multi.n_outputs_ == 3 and multi.n_layers_ == 3
    p = multi.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(multi.predict_log_proba(X), np.log(p))
    np.testing.assert_array_equal(multi.predict(X), multi.classes_[p.argmax(axis=1)])
    assert multi.score(X, y) > 0.95


def test_string_labels(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    est = DeltapropClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(X, names)
    assert est.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert set(est.predict(X)) <= set(est.classes_) and est.score(X, names) > 0.95


def test_multilabel_indicator_targets():
    X, Y = datasets.make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    est = DeltapropClassifier(hidden_layer_sizes=(32,), solver="lbfgs", random_state=0).fit(X, Y)
    assert est.out_activation_ == "logistic" and est.n_outputs_ == 4
    pred = est.predict(X)
    assert pred.shape == (200, 4) and set(np.unique(pred)) <= {0, 1}
    proba = est.predict_proba(X)
    np.testing.assert_array_equal(pred, (proba >= 0.5).astype(pred.dtype))
    assert est.score(X, Y) > 0.8  # subset accuracy on the training set


def test_multi_output_regression():
    X, Y = datasets.make_regression(n_samples=200, n_features=5, n_targets=3, noise=1.0, random_state=0)
    Y = Y / Y.std(axis=0)
    est = DeltapropRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, Y)
    assert est.out_activation_ == "identity" and est.predict(X).shape == (200, 3)
    assert est.score(X, Y) > 0.95
    single = DeltapropRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, Y[:, 0])
    assert single.predict(X).shape == (200,)


# ---------------------------------------------------------------- input types


def test_dataframe_records_feature_names(iris):
    import pandas as pd  # in the 'test' extra: a missing pandas fails here rather than skipping
    X, y = iris
    df = pd.DataFrame(X, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
    est = DeltapropClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0).fit(df, y)
    assert est.feature_names_in_.tolist() == list(df.columns)
    with pytest.warns(UserWarning, match="feature names"):
        np.testing.assert_array_equal(est.predict(df), est.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df.rename(columns={"sepal_l": "other"}))


def test_a_dataframes_column_names_go_into_the_model_file_of_the_network(tmp_path, capsys):
    # From a regression review: save_model(est.network_) wrote no names, so `deltaprop predict` took a CSV whose
    # columns came in another order by position (201.9 became 168.6), and ModelCheckpoint wrote none either
    import pandas as pd

    from deltaprop.cli import main
    from deltaprop.io import load_model, save_model

    X, y = datasets.load_diabetes(return_X_y=True, as_frame=True)
    X, y = X[:120], y[:120]
    saved_each_epoch = deltaprop.ModelCheckpoint(tmp_path / "each.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = DeltapropRegressor(max_iter=20, random_state=0, learning_rate_init=0.05, callbacks=[saved_each_epoch]).fit(X, y)
    save_model(est.network_, tmp_path / "est.safetensors")
    for name in ("est", "each"):
        assert load_model(tmp_path / f"{name}.safetensors").feature_names == list(X.columns)
    reversed_ = X[X.columns[::-1]]
    reversed_.assign(target=y).to_csv(tmp_path / "rev.csv", index=False)
    assert main(["predict", str(tmp_path / "est.safetensors"), str(tmp_path / "rev.csv"), "--label", "target"]) == 0
    predicted = np.array(capsys.readouterr().out.split(), dtype=float)
    np.testing.assert_allclose(predicted, est.predict(X), rtol=1e-6)
    loaded = load_model(tmp_path / "est.safetensors")
    np.testing.assert_allclose(loaded.predict(reversed_).ravel(), est.predict(X), rtol=1e-6)
    save_model(loaded.network, tmp_path / "again.safetensors")  # (a loaded model's names are kept when saved again)
    assert load_model(tmp_path / "again.safetensors").feature_names == list(X.columns)
    plain = DeltapropRegressor(max_iter=2, random_state=0).fit(X.to_numpy(), y)  # (no names: none recorded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert plain.network_.feature_names_in_ is None
        est.fit(X.to_numpy(), y)  # (a later fit without names drops them, as feature_names_in_ goes)
    assert est.network_.feature_names_in_ is None


def test_sparse_input_equals_dense():
    X, y = datasets.make_classification(n_samples=150, n_features=30, n_informative=5, random_state=0)
    X[np.abs(X) < 1] = 0
    dense = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(X, y)
    for fmt in (sp.csr_matrix, sp.csc_array):
        sparse = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(fmt(X), y)
        np.testing.assert_allclose(sparse.predict_proba(fmt(X)), dense.predict_proba(X), rtol=1e-10, atol=1e-12)


def test_sparse_input_is_never_densified_whole():
    """As scikit-learn's MLP, a TF-IDF-like X trains in the memory of its entries and a batch (a review found 20x more)."""
    import tracemalloc

    X = sp.random(4000, 20000, density=0.001, format="csr", dtype=np.float32, random_state=0)  # 320 MB dense
    y = np.arange(4000) % 3
    tracemalloc.start()
    DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=1, early_stopping=True, random_state=0).fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20


def test_float32_stays_float32_unless_dtype_says(iris):
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X.astype(np.float32), y)
    assert est.predict_proba(X).dtype == np.float32 and est.coefs_[0].dtype == np.float32
    est = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=5, dtype="float64", random_state=0)
    assert est.fit(X.astype(np.float32), y).predict_proba(X).dtype == np.float64


# ---------------------------------------------------------------- weights


def test_integer_sample_weight_equals_repetition(iris):
    X, y = iris
    w = np.random.default_rng(0).integers(0, 3, len(y))
    kw = dict(hidden_layer_sizes=(8,), solver="lbfgs", alpha=0.1, random_state=0)
    weighted = DeltapropClassifier(**kw).fit(X, y, sample_weight=w)
    repeated = DeltapropClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6, atol=1e-8)


def test_class_weight_shifts_decisions_and_balanced_equals_sample_weight():
    X, y = datasets.make_classification(n_samples=300, weights=[0.9, 0.1], flip_y=0.05, random_state=0)
    kw = dict(hidden_layer_sizes=(8,), solver="lbfgs", alpha=1.0, random_state=0)
    plain = DeltapropClassifier(**kw).fit(X, y)
    heavy = DeltapropClassifier(class_weight={1: 20.0}, **kw).fit(X, y)
    assert (heavy.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()
    balanced = DeltapropClassifier(class_weight="balanced", **kw).fit(X, y)
    manual = DeltapropClassifier(**kw).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_allclose(balanced.predict_proba(X), manual.predict_proba(X), rtol=1e-10)
    with pytest.raises(ValueError, match="class_weight"):
        DeltapropClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


# ---------------------------------------------------------------- incremental training


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_continues_the_optimiser(solver, iris):
    X, y = iris
    kw = dict(hidden_layer_sizes=(8,), solver=solver, shuffle=False, batch_size=50, learning_rate_init=0.01, random_state=0)
    whole = DeltapropClassifier(max_iter=3, **kw).fit(X, y)
    steps = DeltapropClassifier(**kw)
    for _ in range(3):
        steps.partial_fit(X, y, classes=np.unique(y))
    # equal only if the momentum / Adam moments and step count carried over between calls
    for a, b in zip(steps.weights_, whole.weights_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert steps.loss_curve_ == pytest.approx(whole.loss_curve_, rel=1e-10)
    assert steps.t_ == whole.t_ == 450


def test_partial_fit_needs_classes_first_and_accepts_missing_ones(iris):
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X, y)
    est.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert est.classes_.tolist() == [0, 1, 2] and est.predict_proba(X).shape == (150, 3)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X, y + 5)
    assert not hasattr(DeltapropClassifier(solver="lbfgs"), "partial_fit")


def test_warm_start_continues_from_the_weights(iris):
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=20, warm_start=True, random_state=0).fit(X, y)
    first = [W.copy() for W in est.weights_]
    est.fit(X, y)
    assert len(est.loss_curve_) == 40 and est.n_iter_ == 20
    assert est.loss_curve_[20] < est.loss_curve_[0]  # started where the first fit ended
    assert not np.allclose(est.weights_[0], first[0])
    with pytest.raises(ValueError, match="warm_start"):
        est.fit(X[y < 2], y[y < 2])
    cold = clone(est).set_params(warm_start=False).fit(X, y)
    assert len(cold.loss_curve_) == 20


# ---------------------------------------------------------------- scikit-learn's rules


def test_early_stopping_keeps_the_best_validation_weights():
    X, y = scaled("digits")

    class KeepValidationSet(Callback):
        def on_train_begin(self, run):
            self.X, self.T = run.val_data

    held_out = KeepValidationSet()
    est = DeltapropClassifier(hidden_layer_sizes=(32,), early_stopping=True, n_iter_no_change=3, max_iter=200,
                              learning_rate_init=0.01, callbacks=[held_out], random_state=0).fit(X, y)
    assert est.n_iter_ < 200 and est.best_loss_ is None
    assert len(est.validation_scores_) == len(est.validation_loss_curve_) == len(est.loss_curve_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_) > 0.9
    # the kept weights are the best epoch's: recompute that validation score
    assert len(held_out.X) == 180  # validation_fraction=0.1 of 1797
    assert est.score(held_out.X, held_out.T.argmax(axis=1)) == pytest.approx(est.best_validation_score_)
    assert est.validation_scores_[-1] < est.best_validation_score_  # so the last epoch's weights were not kept


def test_tol_stops_on_training_loss(iris):
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(8,), tol=10.0, n_iter_no_change=2, random_state=0).fit(X, y)
    # no epoch improves by 10: the first sets best_loss_, then stop when the count exceeds 2
    assert est.n_iter_ == 4 == MLPClassifier(hidden_layer_sizes=(8,), tol=10.0, n_iter_no_change=2).fit(X, y).n_iter_
    assert est.best_loss_ == min(est.loss_curve_)


def test_invscaling_learning_rate_follows_sklearn(iris):
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(8,), solver="sgd", learning_rate="invscaling", power_t=0.5,
                              learning_rate_init=0.1, max_iter=4, tol=0, random_state=0).fit(X, y)
    n = len(X)
    expected = [0.1] + [0.1 / (k * n + 1) ** 0.5 for k in (1, 2, 3)]  # eta0 / (t + 1)^power_t, t = examples seen
    assert est.network_.history.learning_rate == pytest.approx(expected)


def test_alpha_means_what_it_means_in_sklearn():
    # Without hidden layers the cost is convex: both libraries must reach the same optimum,
    # which depends on alpha's scaling (alpha / (2 n) ||W||^2), the loss and coefs_'s orientation.
    X, y = scaled("breast_cancer")
    for Est, Ref, target in [(DeltapropClassifier, MLPClassifier, y), (DeltapropRegressor, MLPRegressor, X[:, 0] + X[:, 1] ** 2)]:
        kw = dict(hidden_layer_sizes=(), solver="lbfgs", alpha=5.0, tol=1e-10, max_iter=2000, random_state=0)
        ours, theirs = Est(**kw).fit(X[:, 2:], target), Ref(**kw).fit(X[:, 2:], target)
        np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], atol=2e-3)  # both stop at L-BFGS's tolerances
        np.testing.assert_allclose(ours.intercepts_[0], theirs.intercepts_[0], atol=2e-3)
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)


def test_coefs_are_the_transposed_weights(iris):
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(5, 4), activation=["relu", "logistic"], max_iter=5, random_state=0).fit(X, y)
    assert [c.shape for c in est.coefs_] == [(4, 5), (5, 4), (4, 3)]
    assert [W.shape for W in est.weights_] == [(5, 4), (4, 5), (3, 4)]
    a = np.maximum(X @ est.coefs_[0] + est.intercepts_[0], 0)
    a = 1 / (1 + np.exp(-(a @ est.coefs_[1] + est.intercepts_[1])))
    z = a @ est.coefs_[2] + est.intercepts_[2]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(est.predict_proba(X), p / p.sum(axis=1, keepdims=True), rtol=1e-10)


def test_callbacks_verbose_and_dropout(iris, capsys):
    X, y = iris

    class Count(Callback):
        epochs = 0

        def on_epoch_end(self, run, epoch, logs):
            Count.epochs += 1

    est = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=7, tol=0, callbacks=[Count()], verbose=True,
                              random_state=0).fit(X, y)
    assert Count.epochs == 7 == est.n_iter_
    # scikit-learn's lines, with its loss
    assert capsys.readouterr().out.splitlines() == [f"Iteration {k + 1}, loss = {loss:.8f}" for k, loss in enumerate(est.loss_curve_)]
    dropped = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=7, dropout=0.5, random_state=0).fit(X, y)
    assert not np.allclose(dropped.weights_[0], est.weights_[0])
    np.testing.assert_array_equal(dropped.predict_proba(X), dropped.predict_proba(X))  # no dropout when predicting


def test_bad_parameters_name_the_argument(iris):
    X, y = iris
    for params, name in [
        (dict(solver="newton"), "solver"),
        (dict(alpha=-1.0), "alpha"),
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(batch_size=0), "batch_size"),
        (dict(learning_rate="sometimes"), "learning_rate"),
        (dict(dropout=1.5), "dropout"),
        (dict(activation="swish"), "activation"),
        (dict(dtype="int8"), "dtype"),
        (dict(loss="quadratic_hinge"), "loss"),
        (dict(class_weight="heavy"), "class_weight"),
        (dict(clip_norm=0.0), "clip_norm"),
        (dict(clip_norm=1.0, solver="lbfgs"), "clip_norm: solver 'lbfgs'"),
    ]:
        with pytest.raises(ValueError, match=name):
            DeltapropClassifier(max_iter=1, **params).fit(X, y)


@pytest.mark.parametrize("Estimator, params, error, message", [
    (DeltapropClassifier, dict(learning_rate=lambda eta0, epoch: eta0), TypeError,
     r"^learning_rate: expected a function \(eta0, epoch, n_epochs\) -> eta; got"),
    (DeltapropClassifier, dict(callbacks="progress"), TypeError, r"^callbacks: expected a list of callback objects or None; got str 'progress'"),
    (DeltapropClassifier, dict(batch_size="all"), ValueError, r"^batch_size: expected 'auto' \(min\(200, n_samples\)\) or an integer >= 1; got 'all'"),
    (DeltapropClassifier, dict(activation="Logistic"), ValueError,
     r"unknown activation 'Logistic'; expected one of \[.*'sigmoid'.*\], or 'logistic' \(= 'sigmoid'\); did you mean 'logistic'\?"),
    (DeltapropRegressor, dict(loss="absolute_error"), ValueError, r"^loss: unknown loss 'absolute_error'; expected one of .*'squared_error' \(= 'quadratic'\)"),
    (DeltapropRegressor, dict(loss="log_loss"), ValueError,
     r"^loss: 'log_loss' \('cross_entropy'\) is a classification loss; expected 'squared_error' or 'poisson' for regression"),
])
def test_bad_parameters_are_named_as_given(iris, Estimator, params, error, message):
    X, y = iris
    with pytest.raises(error, match=message):
        Estimator(max_iter=1, **params).fit(X, y)


@pytest.mark.parametrize("Estimator", [DeltapropClassifier, DeltapropRegressor])
def test_clip_norm_bounds_each_step_of_the_estimators(iris, Estimator):
    # plain SGD: each step moves theta by eta * (clipped gradient), at most eta * clip_norm
    X, y = iris
    y = y if Estimator is DeltapropClassifier else y.astype(float)
    options = dict(hidden_layer_sizes=(8,), solver="sgd", momentum=0.0, learning_rate_init=0.1, batch_size=50,
                   random_state=0, warm_start=True, max_iter=1)
    moved = {}
    for clip_norm in (None, 1e-3):
        est = Estimator(**options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (stopped before converging)
            est.fit(X, y)
            start = np.concatenate([p.ravel() for p in est.network_.parameters()])
            est.set_params(clip_norm=clip_norm, max_iter=4).fit(X, y)
        moved[clip_norm] = np.linalg.norm(np.concatenate([p.ravel() for p in est.network_.parameters()]) - start)
    steps = 4 * 3  # 4 epochs of 150 / 50 batches
    assert 0 < moved[1e-3] <= steps * 0.1 * 1e-3 * (1 + 1e-6) < moved[None]


def test_importable_from_the_package():
    assert deltaprop.DeltapropClassifier is DeltapropClassifier
    assert deltaprop.DeltapropRegressor is DeltapropRegressor


def test_max_iter_warns_like_sklearn(iris):
    X, y = iris
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=2, tol=0).fit(X, y)
    assert [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)] == [
        "Stochastic Optimizer: Maximum iterations (2) reached and the optimization hasn't converged yet."]
    with warnings.catch_warnings():  # scikit-learn's own filter, by its message, silences deltaprop's warning too
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message="Stochastic Optimizer: Maximum iterations", category=ConvergenceWarning)
        DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=2, tol=0).fit(X, y)


def test_verbose_prints_sklearns_lines_in_its_order(iris, capsys):
    X, y = iris
    kw = dict(hidden_layer_sizes=(5,), max_iter=2, random_state=0, verbose=True)
    est = DeltapropClassifier(early_stopping=True, **kw).fit(X, y)
    assert capsys.readouterr().out.splitlines() == [
        line for k in range(2) for line in (f"Iteration {k + 1}, loss = {est.loss_curve_[k]:.8f}",
                                            f"Validation score: {est.validation_scores_[k]:f}")]
    DeltapropClassifier(solver="sgd", learning_rate="adaptive", learning_rate_init=1e-7, n_iter_no_change=1, tol=1.0,
                        **(kw | {"max_iter": 5})).fit(X, y)
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Training loss did not improve more than tol=1.000000 for 1 consecutive epochs. Learning rate too small. Stopping.")
    # a multi-output regressor prints loss_curve_, scikit-learn's loss (the mean over the outputs)
    reg = DeltapropRegressor(**kw).fit(X[:, :2], X[:, 2:])
    assert capsys.readouterr().out.splitlines() == [f"Iteration {k + 1}, loss = {v:.8f}" for k, v in enumerate(reg.loss_curve_)]


def test_verbose_lbfgs_prints_nothing_as_sklearn(iris, capsys):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        DeltapropClassifier(solver="lbfgs", max_iter=3, verbose=True, random_state=0).fit(X, y)
        MLPClassifier(solver="lbfgs", max_iter=3, verbose=True, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


def test_partial_fit_with_adam_keeps_its_learning_rate_as_sklearn(iris):
    """scikit-learn makes its optimiser at the first partial_fit: a later learning_rate_init changes nothing."""
    X, y = iris
    kept, changed = (DeltapropClassifier(hidden_layer_sizes=(4,), random_state=0) for _ in range(2))
    for est in (kept, changed):
        est.partial_fit(X, y, classes=[0, 1, 2])
    changed.set_params(learning_rate_init=0.1)
    for est in (kept, changed):
        est.partial_fit(X, y)
    for p, q in zip(kept.coefs_ + kept.intercepts_, changed.coefs_ + changed.intercepts_, strict=True):
        np.testing.assert_array_equal(p, q)


def test_partial_fit_of_an_adam_state_without_its_rate_goes_on_at_learning_rate_init(iris):
    """An estimator pickled before OptimiserState kept its learning rate."""
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(4,), learning_rate_init=0.05, random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    est._optimiser_state.learning_rate = None
    est.partial_fit(X, y)
    assert est.network_.history.learning_rate == [0.05]


def test_early_stopping_that_cannot_split_a_sparse_X_says_so():
    with pytest.raises(ValueError, match=r"^validation_fraction: 0.1 of 10 examples cannot be held out"):
        DeltapropClassifier(early_stopping=True).fit(sp.csr_matrix(np.eye(10)), [0] * 9 + [1])  # (stratified: 1 of 2 classes)


def test_n_iter_no_change_inf_never_stops_on_tol(iris):
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=30, tol=10.0, n_iter_no_change=np.inf, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert est.fit(X, y).n_iter_ == 30
    with pytest.raises(ValueError, match=r"n_iter_no_change: expected an integer >= 1 or np.inf \(never stop on tol\); got 2.5"):
        DeltapropClassifier(n_iter_no_change=2.5).fit(X, y)


def test_an_interrupted_fit_warns_as_sklearn_does(iris):
    X, y = iris

    class CtrlC(Callback):
        def on_epoch_end(self, run, epoch, logs):
            if epoch == 1:
                run.stop, run.stop_reason = True, "interrupted"  # (what the first SIGINT does)

    with pytest.warns(UserWarning, match="^Training interrupted by user.$"):
        est = DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=50, callbacks=[CtrlC()], random_state=0).fit(X, y)
    assert est.n_iter_ == 2


# ---------------------------------------------------------------- comparison with MLP

# Same hyper-parameters for both; mean test score over three random splits.
COMPARISONS = {
    "digits": dict(hidden_layer_sizes=(32,), solver="lbfgs", alpha=1.0),
    "breast_cancer": dict(hidden_layer_sizes=(32,), solver="lbfgs", alpha=1.0),
    "iris": dict(hidden_layer_sizes=(32,), solver="lbfgs", alpha=1.0),
    "wine": dict(hidden_layer_sizes=(32,), solver="lbfgs", alpha=1.0),
    "diabetes": dict(hidden_layer_sizes=(16,), solver="lbfgs", alpha=30.0),
    "digits-adam": dict(hidden_layer_sizes=(32,), max_iter=100),
    "breast_cancer-adam": dict(hidden_layer_sizes=(32,), max_iter=100),
}


@pytest.mark.parametrize("case", COMPARISONS)
def test_within_one_point_of_mlp(case):
    name = case.split("-")[0]
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    regression = name == "diabetes"
    ours, theirs = (DeltapropRegressor, MLPRegressor) if regression else (DeltapropClassifier, MLPClassifier)
    scores = {ours: [], theirs: []}
    for seed in range(3):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=None if regression else y)
        if regression:
            y_tr, y_te = (y_tr - y_tr.mean()) / y_tr.std(), (y_te - y_tr.mean()) / y_tr.std()
        for Est in scores:
            model = make_pipeline(StandardScaler(), Est(random_state=seed, **COMPARISONS[case])).fit(X_tr, y_tr)
            scores[Est].append(model.score(X_te, y_te))
    ours_mean, theirs_mean = np.mean(scores[ours]), np.mean(scores[theirs])
    assert ours_mean >= theirs_mean - 0.01, f"{case}: deltaprop {ours_mean:.4f}, MLP {theirs_mean:.4f}"
    assert ours_mean > (0.4 if regression else 0.9)


# ---------------------------------------------------------------- partial_fit and warm_start continuity

def _abc(n=60):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)), np.array(list("abc") * (n // 3))


def test_first_partial_fit_refuses_labels_missing_from_classes():
    X, y = _abc()
    model = DeltapropClassifier(hidden_layer_sizes=(4,), random_state=0)
    with pytest.raises(ValueError, match=r"y: has classes not in classes=\['a', 'b'\]: \['c'\]"):
        model.partial_fit(X, y, classes=["a", "b"])
    assert not hasattr(model, "_network")


def test_a_first_partial_fit_that_raised_is_retried_with_its_classes():
    X, y = _abc()
    model = DeltapropClassifier(hidden_layer_sizes=(4,), random_state=0)
    with pytest.raises(ValueError, match="sample_weight"):
        model.partial_fit(X, y, classes=list("abcd"), sample_weight=np.ones(5))
    model.partial_fit(X, y, classes=list("abcd"))
    assert model.classes_.tolist() == list("abcd") and model.predict_proba(X).shape == (60, 4)


@pytest.mark.parametrize("change", [dict(momentum=0.0), dict(solver="gd"), dict(solver="adam"), dict(beta_1=0.5)])
def test_partial_fit_after_set_params_starts_the_optimisers_memory_afresh(change):
    X, y = _abc()
    model = DeltapropClassifier(hidden_layer_sizes=(4,), solver="sgd", random_state=0)
    model.partial_fit(X, y, classes=list("abc")).set_params(**change).partial_fit(X, y)
    fresh = DeltapropClassifier(hidden_layer_sizes=(4,), solver="sgd", random_state=0).partial_fit(X, y, classes=list("abc"))
    fresh._optimiser_state = None  # what the changed settings must give: the same weights, a new optimiser memory
    fresh.set_params(**change).partial_fit(X, y)
    for a, b in zip(model.weights_, fresh.weights_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("change", [dict(hidden_layer_sizes=(10, 10)), dict(activation="tanh"), dict(dropout=0.5), dict(dtype="float32")])
def test_warm_start_refuses_another_architecture(change):
    X, y = _abc()
    model = DeltapropClassifier(hidden_layer_sizes=[4], warm_start=True, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        model.set_params(hidden_layer_sizes=(4,)).fit(X, y)  # the same sizes as a tuple: continues
        name = next(iter(change))
        with pytest.raises(ValueError, match=rf"{name}: warm_start and partial_fit continue the fitted network"):
            model.set_params(**change).fit(X, y)


def test_lbfgs_stopped_by_max_fun_warns():
    X, y = _abc()
    with pytest.warns(ConvergenceWarning, match=r"^lbfgs failed to converge after \d+ iteration\(s\) .*max_fun=10"):
        DeltapropClassifier(solver="lbfgs", max_fun=10, random_state=0).fit(X, y)


def test_partial_fit_refuses_schedules_that_need_the_epoch_count():
    X, y = _abc()
    with pytest.raises(ValueError, match="learning_rate: the schedule 'cosine' needs the epoch and the number of epochs"):
        DeltapropClassifier(solver="sgd", learning_rate="cosine").partial_fit(X, y, classes=list("abc"))

    def halve(eta0, epoch, n_epochs):  # each partial_fit would be its epoch 0 of 1: never halved
        return eta0 / 2**epoch

    with pytest.raises(ValueError, match="learning_rate: the schedule <function .*halve.* needs the epoch"):
        DeltapropClassifier(solver="sgd", learning_rate=halve).partial_fit(X, y, classes=list("abc"))
    whole = DeltapropClassifier(hidden_layer_sizes=(4,), solver="sgd", learning_rate=halve, max_iter=3, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert whole.fit(X, y).network_.history.learning_rate == [0.001, 0.0005, 0.00025]  # fit knows both


def test_balanced_class_weights_count_examples_by_their_sample_weight():
    X, y = datasets.make_classification(n_samples=60, n_features=4, weights=[0.7, 0.3], random_state=0)
    w = np.where(y == 1, 3, 1)  # each example of class 1 counts three times
    options = dict(hidden_layer_sizes=(4,), solver="lbfgs", alpha=1.0, class_weight="balanced", random_state=0, tol=1e-10, max_iter=2000)
    weighted = DeltapropClassifier(**options).fit(X, y, sample_weight=w)
    repeated = DeltapropClassifier(**options).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-6)


def test_partial_fit_takes_classes_with_a_multilabel_indicator_matrix():
    X, Y = datasets.make_multilabel_classification(n_samples=60, n_classes=4, random_state=0)
    est = DeltapropClassifier(hidden_layer_sizes=(4,), random_state=0).partial_fit(X, Y, classes=[0, 1, 2, 3])
    assert est.classes_.tolist() == MLPClassifier(hidden_layer_sizes=(4,)).partial_fit(X, Y, classes=[0, 1, 2, 3]).classes_.tolist()
    assert est.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match=r"classes: expected one per column of the multi-label y \(4\); got \[0, 1\]"):
        DeltapropClassifier(hidden_layer_sizes=(4,)).partial_fit(X, Y, classes=[0, 1])


def test_a_later_partial_fit_refuses_other_classes():
    X, y = _abc()
    est = DeltapropClassifier(hidden_layer_sizes=(4,), random_state=0).partial_fit(X, y, classes=list("abc"))
    est.partial_fit(X, y, classes=list("cab"))  # the same classes again, in any order
    with pytest.raises(ValueError, match=r"classes: expected the classes of the first call to partial_fit \['a', 'b', 'c'\]"):
        est.partial_fit(X, y, classes=list("abcd"))


def test_numpy_bools_for_the_boolean_parameters():
    X, y = _abc()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = DeltapropClassifier(hidden_layer_sizes=(3,), solver="sgd", max_iter=3, random_state=0, shuffle=False, nesterovs_momentum=True).fit(X, y)
        numpy = DeltapropClassifier(hidden_layer_sizes=(3,), solver="sgd", max_iter=3, random_state=0, shuffle=np.False_, nesterovs_momentum=np.True_).fit(X, y)
        search = GridSearchCV(DeltapropClassifier(hidden_layer_sizes=(3,), max_iter=3), {"shuffle": np.array([True, False])}, cv=2, error_score="raise")
        search.fit(X, y)
    np.testing.assert_array_equal(plain.predict_proba(X), numpy.predict_proba(X))


@pytest.mark.parametrize("first", [False, True])
def test_warm_start_may_switch_early_stopping(first):
    X, y = _abc(90)
    est = DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=5, warm_start=True, early_stopping=first, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        est.set_params(early_stopping=not first).fit(X, y)
    assert (est.validation_scores_ is not None) == (not first) and len(est.loss_curve_) == 10


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that diverges
def test_a_diverging_fit_still_says_how_many_epochs_it_ran():
    X = np.random.default_rng(0).normal(size=(80, 3))
    est = DeltapropRegressor(hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=10.0, max_iter=20, random_state=0)
    with pytest.raises(deltaprop.DivergenceError):
        est.fit(X, X[:, 0] * 100)
    assert est.n_iter_ == len(est.loss_curve_) == 4


@pytest.mark.parametrize("params, fit_args, words", [
    (dict(early_stopping=True, validation_fraction=0.0), {}, ["validation_fraction", "(0, 1)", "0.0"]),
    (dict(early_stopping=True, validation_fraction=0.01), dict(y=np.arange(60) % 2), ["validation_fraction", "0.01 of 60 examples"]),
    (dict(random_state="x"), {}, ["random_state", "'x'"]),
    (dict(verbose="x"), {}, ["verbose", "'x'"]),
    ({}, dict(sample_weight=["a"] * 60), ["sample_weight", "numbers"]),
])
def test_classifier_arguments_named_in_errors(params, fit_args, words):
    X, y = _abc()
    fit_args = {"y": y, **fit_args}
    with pytest.raises(ValueError) as info:
        DeltapropClassifier(**params).fit(X, **fit_args)
    assert all(word in str(info.value) for word in words), str(info.value)


def test_regressor_refuses_text_targets_naming_y():
    X, y = _abc()
    with pytest.raises(ValueError, match="y: expected real-valued regression targets"):
        DeltapropRegressor().fit(X, y)


def test_class_weight_refuses_keys_that_are_not_classes():
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.array(["cat", "dog", "emu"])[np.arange(30) % 3]
    with pytest.raises(ValueError, match=r"class_weight: \['dgo'\] are not classes; the classes are \['cat', 'dog', 'emu'\]"):
        DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=2, class_weight={"dgo": 2.0}).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=2, class_weight={"dog": 2.0}).fit(X, y)
        DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=2, class_weight={np.int64(1): 2.0}).fit(X, np.arange(30) % 3)


def test_balanced_weights_with_a_class_of_zero_weight_and_repeated_partial_fit_classes():
    X, y = _abc()
    w = np.where(y == "c", 0.0, 1.0)
    est = DeltapropClassifier(hidden_layer_sizes=(4,), class_weight="balanced", max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert np.isfinite(est.fit(X, y, sample_weight=w).predict_proba(X)).all()
    inc = DeltapropClassifier(hidden_layer_sizes=(4,), random_state=0).partial_fit(X, y, classes=list("abc"))
    inc.partial_fit(X, y, classes=list("abcab"))  # repeats, as scikit-learn allows


def test_lbfgs_that_stops_before_its_first_iteration_reports_the_cost_where_it_starts(iris):
    X, y = iris
    est = DeltapropClassifier(solver="lbfgs", hidden_layer_sizes=(5,), alpha=1.0, max_iter=2000, random_state=0, warm_start=True)
    est.fit(X, y)
    first_loss, n_curve = est.loss_, len(est.loss_curve_)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)  # starts at the minimum: no iteration, as scikit-learn's n_iter_ 0
        # tol (SciPy's gtol) above any gradient: stops at the initial weights
        big_tol = DeltapropClassifier(solver="lbfgs", tol=1e6, hidden_layer_sizes=(5,), random_state=0).fit(X, y)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert est.n_iter_ == 0 and len(est.loss_curve_) == n_curve
    assert est.loss_ == pytest.approx(first_loss, rel=1e-6)  # the cost where the first fit ended
    assert big_tol.n_iter_ == 0 and big_tol.loss_curve_ == []
    # C(theta) + the L2 term alpha / 2 ||W||^2 / n of the initial weights, as history.loss records it
    T = np.eye(3)[y]
    cost = -np.mean(np.sum(T * np.log(big_tol.predict_proba(X)), axis=1))
    penalty = 0.5 * big_tol.alpha / len(X) * sum(np.sum(W**2) for W in big_tol.coefs_)
    assert big_tol.loss_ == pytest.approx(cost + penalty, rel=1e-9)


class _Refuses(Callback):
    def on_train_begin(self, run):
        raise ValueError("refused in on_train_begin")


@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("refusal", ["callback", "callback_class", "on_train_begin", "validation_split", "features_then_weights",
                                     "classes_then_weights", "held_out_weights"])
def test_a_refused_fit_leaves_the_fitted_model_as_it_was(refusal, warm_start, iris):
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0, warm_start=warm_start).fit(X, y)
    before = dict(proba=est.predict_proba(X), n_iter_=est.n_iter_, loss_=est.loss_, loss_curve_=list(est.loss_curve_),
                  t_=est.t_, classes_=est.classes_.tolist(), n_features_in_=est.n_features_in_, l2=est.network_.l2,
                  validation_scores_=est.validation_scores_)
    X_fit, y_fit, fit_args, error, match = X, y, {}, ValueError, None
    if refusal == "callback":  # the user's list has one entry: its index is 0 (train's list starts with the estimator's own)
        est.set_params(callbacks=["not a callback"])
        error, match = TypeError, r"callbacks\[0\]: expected an object with any of the methods .*got str 'not a callback'"
    elif refusal == "callback_class":
        est.set_params(callbacks=[_Refuses])
        error, match = TypeError, r"callbacks\[0\]: expected a callback object; got the class _Refuses"
    elif refusal == "on_train_begin":
        est.set_params(callbacks=[_Refuses()])
        match = "refused in on_train_begin"
    elif refusal == "validation_split":
        est.set_params(early_stopping=True, validation_fraction=0.01)
        X_fit, y_fit, match = X[::3], y[::3], "validation_fraction"  # 1 of 50 held out
    elif refusal == "features_then_weights":  # validate_data has set n_features_in_ = 2 when the weights are refused
        est.set_params(warm_start=False)
        X_fit, fit_args, match = X[:, :2], dict(sample_weight=-np.ones(len(X))), "sample_weight"
    elif refusal == "classes_then_weights":  # the labels have replaced classes_ when the weights are refused
        est.set_params(warm_start=False)
        y_fit, fit_args, match = np.array(["a", "b", "c"])[y], dict(sample_weight=np.ones(3)), "sample_weight"
    else:  # held-out examples that all weigh 0: their validation score and cost are undefined
        est.set_params(early_stopping=True, validation_fraction=0.5)
        w = np.zeros(len(X))
        w[np.flatnonzero(y == 0)[:2]] = 1.0
        fit_args, match = dict(sample_weight=w), "sample_weight"
    with pytest.raises(error, match=match):
        est.fit(X_fit, y_fit, **fit_args)
    np.testing.assert_array_equal(est.predict_proba(X), before.pop("proba"))
    assert est.network_.l2 == before.pop("l2")
    for name, value in before.items():
        now = getattr(est, name)
        assert (now.tolist() if isinstance(now, np.ndarray) else now) == value, name


def test_a_refused_first_fit_leaves_the_estimator_unfitted(iris):
    from sklearn.exceptions import NotFittedError

    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(4,), early_stopping=True, validation_fraction=0.01, random_state=0)
    with pytest.raises(ValueError, match="validation_fraction"):
        est.fit(X[:60], y[:60])
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert not hasattr(est, "n_features_in_") and not hasattr(est, "classes_")
    est.set_params(validation_fraction=0.2, max_iter=2).fit(X, y)  # then fits as a first fit
    assert est.n_iter_ == 2 and len(est.validation_scores_) == 2


def test_validation_loss_curve_weighs_the_held_out_examples():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = X.sum(axis=1)
    y[::2] += 100.0  # outliers...
    w = np.where(np.arange(100) % 2 == 0, 0.0, rng.uniform(0.5, 2.0, size=100))  # ...that weigh nothing

    class KeepValidationSet(Callback):
        def on_train_begin(self, run):
            self.X, self.T = run.val_data

    held_out = KeepValidationSet()
    options = dict(hidden_layer_sizes=(4,), solver="sgd", max_iter=2, tol=0, early_stopping=True, validation_fraction=0.3,
                   random_state=0)
    est = DeltapropRegressor(callbacks=[held_out], **options).fit(X, y, sample_weight=w)
    # the held-out rows' weights, found by their X (rows are distinct)
    w_val = w[[np.flatnonzero((X == row).all(axis=1))[0] for row in held_out.X]]
    r = est.predict(held_out.X) - held_out.T[:, 0]
    cost = np.sum(w_val * 0.5 * r**2) / np.sum(w_val)  # C = sum_n w_n c_n / sum_n w_n on the held-out part
    penalty = 0.5 * est.network_.l2 * sum(np.sum(W**2) for W in est.weights_)  # as the validation cost of fit
    assert est.validation_loss_curve_[-1] == pytest.approx(cost + penalty, rel=1e-9)
    assert est.validation_scores_[-1] == pytest.approx(est.score(held_out.X, held_out.T[:, 0], sample_weight=w_val))
    # equal weights are no weights
    ones = DeltapropRegressor(**options).fit(X, y, sample_weight=np.full(100, 3.0))
    none = DeltapropRegressor(**options).fit(X, y)
    np.testing.assert_allclose(ones.validation_loss_curve_, none.validation_loss_curve_, rtol=1e-7)


def test_a_refused_warm_fit_keeps_the_weights_history_and_no_stale_best_weights(iris):
    # Before: an early-stopping fit refused in its first epoch put back the best weights of an earlier
    # early-stopping fit, and left network_.history that of the refused run
    X, y = iris

    class RaiseAtEpochBegin(Callback):
        def on_epoch_begin(self, run, epoch):
            raise RuntimeError("refused")

    est = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0, warm_start=True, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        est.set_params(early_stopping=False, max_iter=20).fit(X, y)  # the weights move on from the best of the first fit
    proba, history = est.predict_proba(X), est.network_.history
    est.set_params(early_stopping=True, callbacks=[RaiseAtEpochBegin()])
    with pytest.raises(RuntimeError, match="refused"):
        est.fit(X, y)
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    assert est.network_.history is history and len(history.loss) == 20


def test_a_refused_lbfgs_warm_fit_puts_back_the_points_its_line_search_tried():
    from deltaprop.losses import Loss

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=80)
    calls = {"n": 0, "limit": None}

    def cost(out, t):
        calls["n"] += 1
        if calls["limit"] is not None and calls["n"] >= calls["limit"]:
            raise KeyboardInterrupt  # a second Ctrl-C, say, inside SciPy's first line search
        return 0.5 * np.sum((out - t) ** 2, axis=1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = DeltapropRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=3, random_state=0, warm_start=True).fit(X, y)
    est.network_.loss_function = Loss("counted_quadratic", cost, lambda out, t: out - t)
    before, n_iter = est.predict(X), est.n_iter_
    calls["n"], calls["limit"] = 0, 3  # the cost at the start, then a point of the line search
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    np.testing.assert_array_equal(est.predict(X), before)
    assert est.n_iter_ == n_iter


@pytest.mark.parametrize("n", [250, 224])  # the last batch of each epoch: 25 examples, or 1
def test_the_validation_loss_takes_the_l2_term_of_a_whole_batch(n):
    # Before: the l2 of the epoch's last (short) batch, alpha / 1 for a batch of one, was the validation loss's
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    held = {}

    class Keep(Callback):
        def on_train_begin(self, run):
            held["X"], held["T"], held["batch"] = *run.val_data, run.batch_size

    est = DeltapropRegressor(hidden_layer_sizes=(4,), solver="sgd", alpha=1.0, batch_size=200, max_iter=1, early_stopping=True,
                             validation_fraction=0.1, random_state=0, callbacks=[Keep()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, X.sum(axis=1))
    residual = est.predict(held["X"]) - held["T"][:, 0]
    expected = np.mean(0.5 * residual**2) + 0.5 * (1.0 / held["batch"]) * sum(np.sum(W**2) for W in est.weights_)
    assert est.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-5)
    assert est.network_.l2 == pytest.approx(1.0 / held["batch"])


def test_callbacks_that_can_be_read_only_once_are_refused(iris):
    # Before: a generator was read by the check, then trained with no callback at all
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(8,), max_iter=3, callbacks=(c for c in [Callback()]))
    with pytest.raises(TypeError, match=r"^callbacks: expected a list of callback objects or None; got a generator, which "
                                        r"can be read only once \(make it a list\)$"):
        est.fit(X, y)


def test_a_weight_beyond_float32_is_a_weight_like_any_other():
    # Before: a weight of 1e39 was refused as beyond float32 (named by the user's index, not the held-out part's);
    # weights are relative and normalised in float64 first, so it is simply a heavy example.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3)).astype(np.float32)
    w = np.ones(100)
    w[37] = 1e39
    est = DeltapropRegressor(hidden_layer_sizes=(3,), early_stopping=True, random_state=0, max_iter=2)
    est.fit(X, X.sum(axis=1), sample_weight=w)
    assert np.isfinite(est.loss_)
    w[37] = np.inf
    with pytest.raises(ValueError, match=r"^sample_weight: expected finite weights"):
        est.fit(X, X.sum(axis=1), sample_weight=w)


@pytest.mark.parametrize("solver, rate", [("sgd", "constant"), ("gd", "constant"), ("sgd", "adaptive"), ("adam", "constant")])
def test_a_callbacks_learning_rate_cuts_stay_cut(iris, solver, rate):
    # Before: with sgd and gd the estimator's own rules set the base rate back every epoch, so each
    # ReduceLROnPlateau cut lasted one epoch
    from deltaprop.callbacks import ReduceLROnPlateau

    X, y = iris
    est = DeltapropClassifier((4,), solver=solver, learning_rate=rate, max_iter=6, random_state=0, n_iter_no_change=100,
                              callbacks=[ReduceLROnPlateau(patience=1, min_delta=10.0, min_lr=0.0)])  # a plateau throughout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (stopped before converging)
        est.fit(X, y)
    eta = 0.001  # learning_rate_init
    assert est.network_.history.learning_rate == pytest.approx([eta, eta, eta / 2, eta / 4, eta / 8, eta / 16])


def test_the_estimators_network_knows_the_class_labels(iris, tmp_path):
    # Before: network_.predict gave 0..K-1, network_.score 0.0, and a saved network_ lost the labels
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = DeltapropClassifier((8,), max_iter=200, learning_rate_init=0.01, random_state=0).fit(X, labels)
        binary = DeltapropClassifier((8,), max_iter=30, random_state=0).fit(X, labels == "setosa")
    np.testing.assert_array_equal(est.network_.predict(X), est.predict(X))
    assert est.network_.score(X, labels) == est.score(X, labels) > 0.5
    np.testing.assert_array_equal(binary.network_.predict(X), binary.predict(X))
    saved = deltaprop.load_model(deltaprop.save_model(est.network_, tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(saved.predict(X), est.predict(X))
    with pytest.raises(TypeError, match=r"y: labels of number \(\[0, 0, 0\]\) for a network whose classes are text"):
        est.network_.score(X, y)  # before: 0.0


def test_an_estimator_pickled_before_clip_norm_existed_still_works(iris):
    import pickle

    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = DeltapropClassifier((4,), max_iter=2, random_state=0).fit(X, y)
        del est.__dict__["clip_norm"]  # as one pickled by an earlier deltaprop
        old = pickle.loads(pickle.dumps(est))
        assert old.get_params()["clip_norm"] is None and clone(old).clip_norm is None
        old.set_params(warm_start=True).fit(X, y)


def _from_sklearns_weights(Ref, Est, X, y, **kw):
    """scikit-learn's estimator and ours, both fitted once, ours with scikit-learn's parameters copied in."""
    one = dict(kw, max_iter=1, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = Ref(**one).fit(X, y), Est(**one).fit(X, y)
    ours.coefs_, ours.intercepts_ = theirs.coefs_, theirs.intercepts_
    for est in (theirs, ours):
        est.t_, est._no_improvement_count, est.best_loss_, est.loss_curve_ = 0, 0, np.inf, []
        est.set_params(**kw, warm_start=True)
    return theirs, ours


@pytest.mark.parametrize("solver, options", [("sgd", dict(batch_size=120, tol=1e-3, n_iter_no_change=2)),
                                             ("sgd", dict(batch_size=50, tol=1e-3, learning_rate="adaptive")),
                                             ("lbfgs", dict(max_iter=15))])
def test_a_multi_output_regressor_stops_where_scikit_learns_does(solver, options):
    # Before: loss_curve_ (and the tol test on it) summed the squared error over the K outputs where
    # scikit-learn's averages it, so with 3 outputs training ran 78 epochs where scikit-learn's ran 56
    X, Y = datasets.make_regression(120, 5, n_targets=3, random_state=0, noise=1)
    kw = dict(hidden_layer_sizes=(6,), shuffle=False, random_state=0, solver=solver, alpha=0.3,
              learning_rate_init=0.01, **{"max_iter": 500, **options})
    theirs, ours = _from_sklearns_weights(MLPRegressor, DeltapropRegressor, X, Y / 100, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(X, Y / 100), ours.fit(X, Y / 100)
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    if solver != "lbfgs":  # (scikit-learn's L-BFGS keeps no loss_curve_)
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert ours.loss_ == ours.loss_curve_[-1] == pytest.approx(theirs.loss_, rel=1e-10)
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_a_multi_output_regressors_validation_loss_is_on_its_loss_curves_scale():
    # Before: validation_loss_curve_ kept deltaprop's cost, summed over the K outputs, beside loss_curve_'s mean
    X, y = datasets.make_regression(200, 3, random_state=0)
    curves = []
    for Y in (y / 100, np.c_[y, y, y, y] / 100):
        est = DeltapropRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=15, random_state=0, alpha=0.1).fit(X, Y)
        curves.append(np.array(est.validation_loss_curve_) / np.array(est.loss_curve_))
    # four copies of the target: about the same ratio (other initial weights); summed over the outputs, 4 times it
    assert (0.5 < curves[1] / curves[0]).all() and (curves[1] / curves[0] < 2).all()


def test_setting_coefs_and_intercepts_changes_the_model(iris):
    # Before: coefs_[i] = W replaced an item of a list built anew on each access (the model kept its
    # weights, silently), and coefs_ = [...] raised AttributeError; in scikit-learn both set the weights
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y)
    est.coefs_[0] = np.zeros((4, 5))
    est.intercepts_[-1] = np.array([0.0, 9.0, 0.0])
    assert not est.coefs_[0].any() and est.intercepts_[1].tolist() == [0.0, 9.0, 0.0]
    assert (est.predict(X) == 1).all()  # every hidden unit is relu(b^1), the same for all examples
    coefs = [np.full((4, 5), 0.5), np.eye(5, 3)]
    est.coefs_ = coefs
    est.intercepts_ = [np.zeros(5), np.zeros(3)]
    assert all(np.array_equal(a, b) for a, b in zip(est.coefs_, coefs))
    assert est.network_.weights[1].shape == (3, 5) and np.array_equal(est.network_.weights[1], np.eye(5, 3).T)
    before = [c.copy() for c in est.coefs_]
    for assign, message in [
        (lambda: est.coefs_.__setitem__(1, np.ones((3, 5))), r"coefs_\[1\] \(\(W\^2\)\^T\): expected an array of shape \(5, 3\); got shape \(3, 5\)"),
        (lambda: setattr(est, "coefs_", coefs[:1]), r"coefs_: expected 2 arrays, one per layer; got 1"),
        (lambda: setattr(est, "coefs_", [np.ones((4, 5)), np.ones((4, 3))]), r"coefs_\[1\] \(\(W\^2\)\^T\): expected an array of shape \(5, 3\)"),
        (lambda: est.intercepts_.__setitem__(0, [np.nan] * 5), r"intercepts_\[0\] \(b\^1\): expected finite values"),
        (lambda: est.coefs_.__setitem__(slice(0, 2), coefs[:1]), r"coefs_\[0:2\]: expected 2 arrays, one per layer; got 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            assign()
    assert all(np.array_equal(a, b) for a, b in zip(est.coefs_, before))  # (a refused list writes none of its arrays)
    with pytest.raises(IndexError, match=r"coefs_: index 5 is beyond the 2 layers' arrays \(0..1 for layers 1..2, or -2..-1 from the end\)"):
        est.coefs_[5] = coefs[0]
    est.coefs_[1:] = [np.ones((5, 3))]  # a slice, as on scikit-learn's list
    assert est.coefs_[1].tolist() == np.ones((5, 3)).tolist()


def test_switching_between_lbfgs_and_a_stochastic_solver_on_a_warm_fit(iris):
    # Before: after an lbfgs fit, a warm fit or partial_fit with sgd/adam/gd trained one epoch and then
    # failed in the tol test (best_loss_ None), every time
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=5, warm_start=True, random_state=0).fit(X, y)
    assert est.best_loss_ is None
    est.set_params(solver="sgd", max_iter=3).fit(X, y)
    assert est.n_iter_ == 3 and est.best_loss_ == min(est.loss_curve_[-3:])
    est.partial_fit(X, y)
    est.set_params(solver="lbfgs").fit(X, y)
    assert est.best_loss_ is None


def test_warm_start_takes_equal_spellings_of_the_architecture(iris):
    # Before: hidden_layer_sizes=5 and (5,), activation "logistic" and "sigmoid" (or a list of one) were
    # "another network" to a warm fit
    X, y = iris
    est = DeltapropClassifier(hidden_layer_sizes=5, activation="logistic", dropout=0.1, max_iter=2, warm_start=True,
                              random_state=0).fit(X, y)
    est.set_params(hidden_layer_sizes=(5,), activation=["sigmoid"], dropout=[0.1]).fit(X, y)
    assert est.n_iter_ == 2
    with pytest.raises(ValueError, match="activation: warm_start and partial_fit continue the fitted network"):
        est.set_params(activation="tanh").fit(X, y)
    reg = DeltapropRegressor(hidden_layer_sizes=(4,), loss="mse", max_iter=2, warm_start=True).fit(X, y)
    reg.set_params(loss="squared_error").fit(X, y)
    reg.set_params(loss="quadratic", dtype="float64").fit(X, y)  # (iris is float64: the network's dtype)
    # Before this was refused as before these spellings were: None == np.dtype("float64") is True in NumPy,
    # so a float32 network took dtype="float64" and trained on in float32
    narrow = DeltapropRegressor(hidden_layer_sizes=(4,), max_iter=2, warm_start=True).fit(X.astype(np.float32), y)
    with pytest.raises(ValueError, match=r"dtype: warm_start and partial_fit continue the fitted network, built with "
                                         r"dtype='float32'; got 'float64'"):
        narrow.set_params(dtype="float64").fit(X, y)


def test_targets_of_another_kind_than_the_fitted_models_are_refused():
    # Before: labels 0..2 given to a model fitted on a 3-column indicator matrix were read as "only column k",
    # and the model retrained on that; the other way round, scikit-learn's internals spoke
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    Y = (X[:, :3] > 0).astype(int)
    multilabel = DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=2, warm_start=True).fit(X, Y)
    multiclass = DeltapropClassifier(hidden_layer_sizes=(4,), max_iter=2, warm_start=True).fit(X, np.arange(60) % 3)
    for call, message in [
        (lambda: multilabel.fit(X, np.arange(60) % 3), "y: the fitted model learns a multi-label indicator matrix of 3 "
                                                       "columns; got labels of shape (60,)"),
        (lambda: multilabel.partial_fit(X, np.arange(60) % 2), "got labels of shape"),
        (lambda: multilabel.partial_fit(X, Y[:, :2]), "got an indicator matrix of shape (60, 2)"),
        (lambda: multiclass.fit(X, Y), "y: the fitted model learns one label per example, among [0, 1, 2]; got an "
                                       "indicator matrix of shape (60, 3)"),
        (lambda: DeltapropClassifier().partial_fit(X, np.arange(60) % 2, classes=1),
         "classes: expected a 1-D array of all the class labels; got 1"),
        (lambda: DeltapropClassifier().partial_fit(X, np.arange(60) % 2, classes=[0, 1, None]),
         "classes: expected labels of one kind, which can be sorted; got [0, 1, None]"),
        (lambda: DeltapropRegressor().fit(X, sp.csr_matrix(Y.astype(float))),
         "y: expected a dense array of regression targets; got a sparse csr_matrix"),
    ]:
        with pytest.raises(ValueError) as info:
            call()
        assert message in str(info.value)


def test_divergence_is_a_value_error_as_in_scikit_learn_and_momentum_1_is_allowed():
    X, y = datasets.make_regression(60, 3, random_state=0)
    with pytest.raises(ValueError, match="diverged|became"):
        DeltapropRegressor(solver="sgd", learning_rate_init=1e6, max_iter=5).fit(X * 1e3, y * 1e6)
    DeltapropRegressor(solver="sgd", momentum=1.0, max_iter=2).fit(X, y)


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_poisson_regression_is_scikit_learns(solver):
    # Before: DeltapropRegressor(loss="poisson") was refused, though MLPRegressor has it (half the Poisson
    # deviance with y = e^z); from the same weights both now take the same steps
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    Y = rng.poisson(np.exp(X[:, :2] @ [0.5, -0.3] + 0.2)[:, None] * [1, 2]).astype(float)
    kw = dict(hidden_layer_sizes=(6,), shuffle=False, random_state=0, solver=solver, batch_size=40, loss="poisson",
              max_iter=30 if solver == "sgd" else 10, learning_rate_init=0.01)
    for y in (Y[:, 0], Y):
        theirs, ours = _from_sklearns_weights(MLPRegressor, DeltapropRegressor, X, y, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.fit(X, y), ours.fit(X, y)
        assert ours.out_activation_ == theirs.out_activation_ == "exp" and ours.n_iter_ == theirs.n_iter_
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-10)
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)
    # named by the user's index, before the validation split and the shuffle
    with pytest.raises(ValueError, match=r"y: loss 'poisson' is defined for targets >= 0; got -2.0 at \[7\] \(1 in all\)"):
        DeltapropRegressor(loss="poisson", early_stopping=True).fit(X, np.where(np.arange(120) == 7, -2.0, Y[:, 0]))


@pytest.mark.parametrize("solver, options", [("sgd", dict(nesterovs_momentum=True, learning_rate="invscaling")),
                                             ("adam", dict(alpha=0.01)), ("lbfgs", dict(max_iter=10))])
def test_a_classifier_from_scikit_learns_weights_takes_its_steps(iris, solver, options):
    # the README's claim: from the same initial weights, the same steps (mini-batches with a short last one)
    X, y = iris
    for target in (y, y == 1, np.c_[y == 0, y == 2].astype(int)):  # multiclass, binary, multi-label
        kw = dict(hidden_layer_sizes=(5,), shuffle=False, random_state=0, solver=solver, batch_size=40,
                  learning_rate_init=0.01, **{"max_iter": 20, **options})
        theirs, ours = _from_sklearns_weights(MLPClassifier, DeltapropClassifier, X, target, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.fit(X, target), ours.fit(X, target)
        assert ours.n_iter_ == theirs.n_iter_ and ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
        for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("labels", [[0, 1, 2, 1, 0], [3, 7, 7, 3], ["b", "a", "c", "a"], ["no", "yes", "yes"],
                                    [True, False, True], [1.0, 2.0, 1.0, -4.0], np.array([2, 9, 4], dtype=np.uint8)])
def test_single_labels_are_encoded_as_label_binarizers_transform_gives_them(labels):
    # The direct lookup that spares partial_fit five target-type checks per call gives the transform's numbers
    from sklearn.preprocessing import LabelBinarizer

    y = np.asarray(labels)
    est = DeltapropClassifier(hidden_layer_sizes=(2,), max_iter=1, random_state=0).fit(np.ones((len(y), 1)), y)
    expected = LabelBinarizer().fit(y).transform(y).astype(np.float64)
    got = est._encode(y[::-1])
    np.testing.assert_array_equal(got, expected[::-1])
    assert got.dtype == np.float64 and got.shape == expected.shape
