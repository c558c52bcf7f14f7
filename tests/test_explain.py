"""deltaprop.explain: the printed numbers are net.forward / net.backward's, exactly."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from deltaprop import Network
from deltaprop.cli import main
from deltaprop.explain import explain

VECTOR = re.compile(r"^\s*(?P<name>.+?) = (?:.* = )?\[(?P<body>[^\]]*)\]$")
MATRIX_HEAD = re.compile(r"^\s*(?P<name>.+?) =(?: .*)? =?\s*\((?P<rows>\d+) x (?P<cols>\d+)\)$")


def numbers(body: str) -> list[float]:
    """'0.1, -2e-05, ... +3 more' -> [0.1, -2e-05] (the shown entries)."""
    return [float(v) for v in body.split(", ") if not v.startswith("...")]


def parse(text: str) -> dict[str, list]:
    """Each printed quantity by name: a list of numbers, or a list of rows for a matrix.

    A name printed twice (the summary repeats y) keeps its first occurrence.
    """
    found: dict[str, list] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        head = MATRIX_HEAD.match(line)
        if head:
            rows = []
            i += 1
            while i < len(lines) and lines[i].strip().startswith("["):
                rows.append(numbers(lines[i].strip()[1:-1]))
                i += 1
            found.setdefault(head["name"], rows)
            continue
        m = VECTOR.match(line)
        if m:
            found.setdefault(m["name"], numbers(m["body"]))
        i += 1
    return found


def scalar_after(text: str, label: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(label))
    return float(line.split("=")[-1].split()[0])


def exact(parsed, expected: np.ndarray) -> None:
    """The parsed numbers read back to exactly the expected values (shown part)."""
    got = np.array(parsed, dtype=np.float64).astype(expected.dtype)
    shown = expected[tuple(slice(0, n) for n in got.shape)]
    assert got.shape == shown.shape
    np.testing.assert_array_equal(got, shown)


def check_against_network(text: str, net: Network, x, t, *, eta: float, fused: bool = False) -> None:
    q = parse(text)
    X, T = net.check_X(np.asarray(x)[None]), net.check_T(np.asarray(t)[None], 1)
    fp = net.forward(X)
    g = net.backward(fp, T, fused=fused)
    L = net.n_layers
    exact(q["x"], X[0])
    exact(q["t"], T[0])
    for l in range(1, L + 1):
        exact(q[f"W^{l}"], net.weights[l - 1])
        exact(q[f"b^{l}"], net.biases[l - 1])
        exact(q[f"z^{l}"], fp.z[l - 1][0])
        exact(q[f"a^{l}"], fp.a[l][0])
        exact(q[f"delta^{l}"], g.delta[l - 1][0])
        exact(q[f"dC/dW^{l}"], g.dW[l - 1])
        exact(q[f"dC/db^{l}"], g.db[l - 1])
        exact(q[f"W^{l} <- W^{l} - eta dC/dW^{l}"], net.weights[l - 1] - net.dtype.type(eta) * g.dW[l - 1])
        exact(q[f"b^{l} <- b^{l} - eta dC/db^{l}"], net.biases[l - 1] - net.dtype.type(eta) * g.db[l - 1])
    exact(q["y"], fp.output[0])
    # the cost is printed in the network's dtype (its per-example cost is computed in it)
    assert net.dtype.type(scalar_after(text, "cost before")) == net.dtype.type(net.loss(X, T))
    after = net.copy()
    for p, grad in zip(after.parameters(), [a for dW, db in zip(g.dW, g.db) for a in (dW, db)]):
        p -= p.dtype.type(eta) * grad
    assert net.dtype.type(scalar_after(text, "cost after")) == net.dtype.type(after.loss(X, T))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_printed_numbers_are_the_networks(dtype):
    rng = np.random.default_rng(1)
    net = Network([3, 4, 5, 2], activation="tanh", output="sigmoid", loss="quadratic", seed=3, dtype=dtype)
    x, t = rng.normal(size=3), rng.random(2)
    text = explain(net, x, t, eta=0.3).to_text(max_units=10)
    check_against_network(text, net, x, t, eta=0.3)


def test_the_lecture_identities_hold_in_the_printout():
    net = Network([2, 3, 2], activation="sigmoid", output="sigmoid", loss="quadratic", seed=0)
    text = explain(net, [0.05, 0.1], [0.01, 0.99]).to_text()
    q = parse(text)
    f32 = lambda v: np.array(v, dtype=np.float32)  # noqa: E731
    # delta^L = sigma'(z^L) (.) nabla C(y);  delta^1 = sigma'(z^1) (.) (W^2)^T delta^2
    np.testing.assert_array_equal(f32(q["delta^2"]), f32(q["sigma'(z^2)"]) * f32(q["nabla C(y)"]))
    np.testing.assert_array_equal(f32(q["delta^1"]), f32(q["sigma'(z^1)"]) * f32(q["(W^2)^T delta^2"]))
    # dC/dw_ij^l = delta_i^l a_j^{l-1}, x_j for l = 1
    np.testing.assert_array_equal(f32(q["dC/dW^1"]), np.outer(f32(q["delta^1"]), f32(q["x"])))
    np.testing.assert_array_equal(f32(q["dC/dW^2"]), np.outer(f32(q["delta^2"]), f32(q["a^1"])))
    assert "dC/dw_12^1 = delta_1^1 x_2 = " in text and "dC/dw_21^2 = delta_2^2 a_1^1 = " in text
    # the update lowers the cost on this example
    assert scalar_after(text, "cost after") < scalar_after(text, "cost before")


def test_softmax_cross_entropy_literal_and_fused():
    rng = np.random.default_rng(2)
    net = Network([4, 3, 3], activation="relu", loss="cross_entropy", seed=5)
    x = rng.random(4)
    for fused in (False, True):
        ex = explain(net, x, 2, fused=fused)
        check_against_network(ex.to_text(), net, x, np.eye(3)[2], eta=0.5, fused=fused)
    assert "J_softmax(z^2)^T nabla C(y)" in explain(net, x, 2).to_text()
    assert "delta^2 = y - t" in explain(net, x, 2, fused=True).to_text()


def test_wide_layers_are_truncated_but_exact():
    rng = np.random.default_rng(3)
    net = Network([64, 20, 10], seed=0)
    x = rng.random(64)
    text = explain(net, x, 7).to_text(max_units=4)
    assert "[" in text and "... +60 more]" in text and "... +16 more rows" in text
    check_against_network(text, net, x, np.eye(10)[7], eta=0.5)
    assert max(len(line) for line in text.splitlines()) < 200


def test_cli_output_matches_the_same_network(capsys):
    assert main(["explain", "--x", "0.1,0.2", "--t", "1", "--layers", "3", "--seed", "4", "--eta", "0.25"]) == 0
    text = capsys.readouterr().out
    assert "\x1b[" not in text  # not a terminal: plain text
    net = Network([2, 3, 1], activation="sigmoid", output="sigmoid", loss="quadratic", seed=4)
    check_against_network(text, net, [0.1, 0.2], [1.0], eta=0.25)
    assert text.index("Forward direction") < text.index("Backward direction") < text.index("Gradients") < text.index("Update")


def test_cli_example_from_digits_and_markdown(tmp_path, capsys):
    out = tmp_path / "notes.md"
    png = tmp_path / "pass.png"
    args = ["explain", "--example", "digits:5", "--layers", "6", "--loss", "cross_entropy", "--format", "markdown",
            "--out", str(out), "--picture", str(png)]
    assert main(args) == 0
    md = out.read_text()
    assert "## Forward direction" in md and r"\delta^{1} = \sigma'(z^{1}) \odot (W^{2})^T \delta^{2}" in md
    assert r"\vdots" in md and md.count("$$") % 2 == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["explain", "--example", "nope:1"]) == 1
    assert "error: --example: data: 'nope'" in capsys.readouterr().err


def test_cli_example_from_a_csv_file_takes_its_label_column(tmp_path, capsys):
    table = tmp_path / "flowers.csv"
    table.write_text("a,b,species\n0.5,0.25,setosa\n0.125,1,virginica\n1,0,setosa\n")
    assert main(["explain", "--example", f"{table}:1", "--label", "species", "--loss", "cross_entropy"]) == 0
    text = capsys.readouterr().out
    assert "t = [0.0, 1.0]" in text  # row 1 is 'virginica', the second of the classes (setosa, virginica)
    assert main(["explain", "--example", f"{table}:1"]) == 1  # no column "label": the hint names --label, which exists
    assert "--label on the command line" in capsys.readouterr().err
    for built_in in ("digits", "iris"):
        assert main(["explain", "--example", f"{built_in}:1", "--label", "species"]) == 1
        assert f"error: --label: names the label column of a .csv/.npy/.npz file; {built_in!r} is a built-in" in capsys.readouterr().err
    assert main(["explain", "--label", "species"]) == 1
    assert "error: --label: names the label column of the --example data file; give --example too" in capsys.readouterr().err


def test_cli_example_with_a_real_valued_label_has_one_output(tmp_path, capsys):
    # Before: each distinct real value was a class: 3 outputs and a one-hot t for 3 rows of prices
    table = tmp_path / "prices.csv"
    table.write_text("a,b,label\n0.5,0.25,1.75\n0.125,1,-2.5\n1,0,3.25\n")
    assert main(["explain", "--example", f"{table}:1"]) == 0
    text = capsys.readouterr().out
    assert "sizes [N_0, ..., N_L] = [2, 2, 1]" in text and "2: identity" in text and "t = [-2.5]" in text


def test_markdown_numbers_are_exact():
    net = Network([2, 2, 2], activation="sigmoid", output="sigmoid", loss="quadratic", seed=0)
    ex = explain(net, [0.05, 0.1], [0.01, 0.99])
    md = ex.to_markdown()
    block = re.search(r"\\delta\^\{1\} = .*?\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", md)[1]
    np.testing.assert_array_equal(np.array([float(v) for v in block.split(r" \\ ")], dtype=np.float32), ex.layers[0].delta)


def test_colour_only_for_terminals():
    net = Network([2, 2, 1], seed=0)
    ex = explain(net, [1, 2], [1])
    plain, coloured = io.StringIO(), io.StringIO()
    ex.print(plain)
    ex.print(coloured, color=True)
    assert "\x1b[" not in plain.getvalue() and "\x1b[" in coloured.getvalue()
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured.getvalue()) == plain.getvalue()


def test_rounded_precision():
    net = Network([2, 2, 1], seed=0)
    text = explain(net, [1, 2], [1]).to_text(precision=3)
    shown = re.search(r"z\^1 = .* = \[(.*)\]", text)[1].split(", ")
    assert all(len(re.sub(r"e.*$", "", v).lstrip("-").replace(".", "").lstrip("0")) <= 3 for v in shown), shown
    z = parse(text)["z^1"]
    np.testing.assert_allclose(z, net.forward(np.array([[1.0, 2.0]])).z[0][0], rtol=5e-3)


@pytest.mark.parametrize(
    "x, t, eta, match",
    [
        ([1, 2, 3], [1], 0.5, "x: expected one example of 2"),
        ([1, 2], [1, 0], 0.5, "t: expected a target of 1"),
        ([1, 2], [1], -1.0, "eta: expected a finite number > 0"),
        ([1, 2], ["a"], 0.5, "t: expected numbers"),
    ],
)
def test_bad_input_names_the_argument(x, t, eta, match):
    net = Network([2, 2, 1], seed=0)
    with pytest.raises((ValueError, TypeError), match=match):
        explain(net, x, t, eta=eta)


def test_package_level_function_and_l2():
    import deltaprop

    net = Network([2, 2, 1], output="sigmoid", loss="quadratic", l2=0.1, seed=0, dtype="float64")
    ex = deltaprop.explain(net, [0.5, -1.0], [1.0])
    text = ex.to_text()
    assert "dC/dW^1 = delta^1 x^T + 0.1 W^1" in text and "+ 0.1 w_11^1" in text
    assert "C = 1/2 ||y - t||^2 + lambda/2 sum_l ||W^l||^2 = " in text  # the cost shown is the one with its L2 term
    assert r"+ \tfrac{\lambda}{2} \sum_l" in ex.to_markdown()
    check_against_network(text, net, [0.5, -1.0], [1.0], eta=0.5)


@pytest.mark.parametrize("flags, output, loss", [
    ([], "sigmoid", "quadratic"),
    (["--loss", "quadratic"], "sigmoid", "quadratic"),  # the default, given: the same network
    (["--output", "sigmoid"], "sigmoid", "binary_cross_entropy"),  # --output alone brings its loss, as Network's
    (["--loss", "cross_entropy", "--t", "0,1"], "softmax", "cross_entropy"),
])
def test_cli_defaults_each_of_output_and_loss_alone(flags, output, loss, capsys):
    from deltaprop.losses import LOSSES

    assert main(["explain", *flags]) == 0
    text = capsys.readouterr().out
    assert f"(N_2 = 2, sigma = {output})" in text and f"{LOSSES[loss].formula} = " in text  # layer L


def test_cli_example_refuses_a_label_for_data_that_hold_their_own(tmp_path, capsys):
    # An IDX directory (like fashion-mnist and mnist) has its labels in its label files: --label would be ignored.
    (tmp_path / "idx").mkdir()
    assert main(["explain", "--example", f"{tmp_path / 'idx'}:0", "--label", "species"]) == 1
    assert "error: --label: names the label column of a .csv/.npy/.npz file" in capsys.readouterr().err
    assert main(["explain", "--example", "fashion-mnist:0", "--label", "species"]) == 1
    assert "'fashion-mnist' is a built-in data set" in capsys.readouterr().err


def test_a_saturated_output_is_noted_with_the_exact_delta():
    # Before: y = 1.0, delta^1 = [0.0] and no update, silently, where dC/dz^1 = y - t = 1 (fused=True gives it)
    net = Network([1, 1], seed=0)  # sigmoid + binary cross-entropy, float32
    net.weights[0][...] = 20.0
    ex = explain(net, [1.0], [0.0])
    np.testing.assert_array_equal(ex.layers[0].delta, [0.0])  # the lecture's product, taken literally, is still shown
    np.testing.assert_array_equal(ex.exact_output_delta, [1.0])
    text = ex.to_text()
    assert "delta^1 = sigma'(z^1) (.) nabla C(y) = [0.0]" in text
    assert "The exact delta^1 = y - t = [1.0]; fused=True (explain --fused) computes it" in text
    assert "float64 saturates only further out" in text and "Note: the output saturates in float32" in text
    assert r"y - t = $\begin{bmatrix}1.0\end{bmatrix}$" in ex.to_markdown()
    assert explain(net, [1.0], [0.0], fused=True).exact_output_delta is None  # y - t taken: nothing lost
    net.weights[0][...] = 40.0  # float64 saturates too, further out
    ex64 = explain(net.astype("float64"), [1.0], [0.0])
    assert ex64.exact_output_delta is not None and "float64 saturates" not in ex64.to_text()
    # an output far from saturation: the literal product is y - t up to rounding, and nothing is said
    ordinary = explain(Network([2, 3, 2], output="softmax", seed=0), [0.5, -1.0], 1)
    assert ordinary.exact_output_delta is None and "saturates" not in ordinary.to_text()


def test_dropout_is_said_not_to_be_applied():
    # Before: the L2 term was shown, dropout not mentioned, though the update is not training's step
    net = Network([2, 3, 2], l2=0.1, dropout=0.5, seed=0, loss="quadratic", output="sigmoid")
    ex = explain(net, [0.05, 0.1], [0.01, 0.99])
    assert "Note: dropout (p_1 = 0.5) is not applied: this is the deterministic C(theta)" in ex.to_text()
    assert "dropout (p_1 = 0.5) is not applied" in ex.to_markdown()
    assert "dropout" not in explain(Network([2, 3, 2], seed=0), [0.05, 0.1], [0.01, 0.99]).to_text()


def test_the_cost_is_printed_with_the_digits_of_the_networks_dtype(capsys):
    # Before: "C = 1/2 ||y - t||^2 = 0.3146580755710602", float32's 0.31465808 widened to float64
    assert main(["explain", "--color", "never"]) == 0
    text = capsys.readouterr().out
    assert "C = 1/2 ||y - t||^2 = 0.31465808\n" in text and "cost before = 0.31465808\n" in text
    assert main(["explain", "--color", "never", "--dtype", "float64"]) == 0
    cost = scalar_after(capsys.readouterr().out, "cost before")
    assert len(repr(cost)) > 12  # float64 keeps its digits


def test_cli_output_brings_its_loss_as_network_does_and_poisson_has_a_formula(capsys):
    # Before: --output exp and --output softmax kept the quadratic cost; poisson had no formula ("($poisson$)")
    assert main(["explain", "--output", "exp"]) == 0
    text = capsys.readouterr().out
    assert "cost poisson" in text and "C = sum_i [t_i log(t_i / y_i) - t_i + y_i] = " in text
    assert main(["explain", "--output", "softmax"]) == 0
    assert "cost cross_entropy" in capsys.readouterr().out
    assert main(["explain", "--loss", "poisson", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert r"cost poisson ($C = \sum_i \big[t_i \log(t_i / y_i) - t_i + y_i\big]$)" in md and "$poisson$" not in md
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "quadratic, poisson, cross_entropy, binary_cross_entropy" in help_text and "exp: poisson" in help_text


def test_cli_takes_negative_numbers_for_x_and_t(capsys):
    # Before: "error: argument --x: expected one argument" (only --x=-0.5,0.2 worked)
    assert main(["explain", "--x", "-0.5,0.2", "--t", "-1,2", "--output", "identity"]) == 0
    text = capsys.readouterr().out
    assert "x = [-0.5, 0.2]" in text and "t = [-1.0, 2.0]" in text
    assert main(["explain", "--x", "-.5,-1e-3"]) == 0
    assert "x = [-0.5, -0.001]" in capsys.readouterr().out
    assert main(["explain", "--x", "-0.5,oops"]) == 1  # a bad list gets --x's own error, not argparse's
    assert "--x: expected comma-separated numbers such as 0.1,0.2; got '-0.5,oops'" in capsys.readouterr().err


def test_cli_refuses_one_file_for_out_and_picture(tmp_path, capsys):
    # Before: the text was written, then the PNG over it: exit 0 and the explanation lost
    same = tmp_path / "same.out"
    assert main(["explain", "--out", str(same), "--picture", str(same)]) == 1
    captured = capsys.readouterr()
    assert f"--out: {same} is also the file of --picture" in captured.err and captured.out == ""
    assert not same.exists()
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n0.5,0.25,1\n0.125,1,0\n")
    assert main(["explain", "--example", f"{table}:1", "--out", str(table)]) == 1  # the data file itself
    assert f"--out: {table} is the file given as --example" in capsys.readouterr().err
    assert table.read_text().startswith("a,b,label")


def test_cli_example_says_how_its_input_was_scaled(tmp_path, capsys):
    # Before: x = [0.4076099, -0.9438299] for the row 0.637,0.270, standardised without a word
    table = tmp_path / "reg.csv"
    table.write_text("a,b,label\n0.637,0.270,6.404\n0.017,0.813,3.616\n0.607,0.729,-7.037\n")
    assert main(["explain", "--example", f"{table}:0"]) == 0
    text = capsys.readouterr().out
    assert ("x is row 0 of reg.csv, standardised: each column minus its mean, over its standard deviation, over its "
            "3 rows; --scale none shows it unscaled.") in text
    assert main(["explain", "--example", f"{table}:0", "--scale", "none"]) == 0
    text = capsys.readouterr().out
    assert "x = [0.637, 0.27]" in text and "x is row 0 of reg.csv, as stored (--scale none)." in text
    assert main(["explain", "--example", "digits:3"]) == 0
    assert "x is example 3 of digits, its pixels 0..16 divided by 16 (to [0, 1])" in capsys.readouterr().out
    assert main(["explain", "--scale", "none"]) == 1
    assert "--scale: applies to the data of --example; give --example too (got --scale none)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "x is scaled as --scale says, and the printout says how" in help_text
    assert "a data file's columns standardised over its first 1000 rows" in help_text


def test_cli_example_whole_number_amounts_take_task_regression(tmp_path, capsys):
    # Before: integer prices 100..399 became one sigmoid output per price and a one-hot t, silently
    rows = "\n".join(f"{i / 10},{(i * 7) % 10 / 10},{100 + 13 * i}" for i in range(12))
    table = tmp_path / "prices.csv"
    table.write_text("a,b,label\n" + rows + "\n")
    assert main(["explain", "--example", f"{table}:0"]) == 0
    captured = capsys.readouterr()
    assert "sizes [N_0, ..., N_L] = [2, 2, 12]" in captured.out
    assert ("deltaprop explain: note: the labels of prices.csv are whole numbers with 12 values, taken as 12 classes "
            "(1.0 examples per class in the 12 rows read); if they are amounts to predict, give --task regression") in captured.err
    assert main(["explain", "--example", f"{table}:0", "--task", "regression"]) == 0
    captured = capsys.readouterr()
    assert "sizes [N_0, ..., N_L] = [2, 2, 1]" in captured.out and "t = [100.0]" in captured.out and captured.err == ""
    assert main(["explain", "--example", f"{table}:1", "--output", "exp"]) == 0  # counts for poisson are amounts
    assert "sizes [N_0, ..., N_L] = [2, 2, 1]" in capsys.readouterr().out
    assert main(["explain", "--example", f"{table}:1", "--task", "regression", "--output", "sigmoid"]) == 1
    assert "error: --example: binary_cross_entropy needs targets in [0, 1]" in capsys.readouterr().err  # not "--t"


def test_a_large_poisson_count_near_its_prediction_is_no_saturation():
    # Before: y = 2573.9995 for t = 2574 was "saturated": the literal y (1 - t / y) cancels to about eps * t
    import deltaprop as dp

    net = dp.Network([1, 1], loss="poisson", seed=0)  # float32, y = e^z
    net.weights[0][...], net.biases[0][...] = 1, 0
    for x, t in [(7.38770478494792, 1616.0), (7.853166587187013, 2574.0), (8.440088929671612, 4629.0)]:
        ex = dp.explain(net, [x], [t])
        assert ex.exact_output_delta is None and not any("saturates" in note for note in ex.notes)


def test_example_with_an_amounts_loss_on_text_labels_names_the_loss(tmp_path, capsys):
    from deltaprop.cli import main

    (tmp_path / "t.csv").write_text("a,b,label\n" + "".join(f"{i},{2 * i},{'cd'[i % 2]}\n" for i in range(20)))
    assert main(["explain", "--example", str(tmp_path / "t.csv"), "--loss", "poisson"]) == 1
    err = capsys.readouterr().err
    assert "--loss: poisson is for counts and rates (the poisson loss), and the labels of --example" in err and "task" not in err


def test_markdown_escapes_an_underscore_in_a_non_element_wise_activations_name():
    # From a review: J_{\mathrm{my_softmax}} set "softmax" as a subscript
    from deltaprop.activations import ACTIVATIONS, Activation

    softmax = ACTIVATIONS["softmax"]
    mine = Activation("my_softmax", softmax.forward, None, vjp_override=softmax.vjp_override)
    net = Network([2, 3, 2], output=mine, loss="quadratic", seed=0, dtype="float64")
    text = explain(net, [0.1, 0.2], [0.0, 1.0]).to_markdown()
    assert r"J_{\mathrm{my\_softmax}}" in text and r"\mathrm{my_softmax}" not in text


def test_cli_printout_reads_as_the_lecture_for_a_student(capsys):
    # From a teacher's review: the one informative entry of nabla C(y) was cut off; the worked products were of two
    # 0 pixels (0 = 0); softmax's y - t was said to be sigma'(z) (.) nabla C(y), which it is only through J; J and (.)
    # were never defined; the cost change ignored --precision
    assert main(["explain", "--example", "digits:7", "--layers", "8", "--loss", "cross_entropy", "--color", "never"]) == 0
    text = capsys.readouterr().out
    assert "(.) is the element-wise product" in text and "J_softmax(z) is the Jacobian of softmax" in text
    assert re.search(r"nabla C\(y\) = dC/dy = \[.*\+4 more; largest: entry 8 = -\d", text)
    worked = re.findall(r"dC/dw_\S+\^1 = delta_\S+ x_\S+ = \((\S+)\) \((\S+)\) = (\S+)", text)
    assert len(worked) == 4 and all(float(x) != 0 for _, x, _ in worked)
    assert main(["explain", "--output", "softmax", "--loss", "cross_entropy", "--t", "0,1", "--fused", "--color", "never",
                 "--precision", "2"]) == 0
    text = capsys.readouterr().out
    assert "y - t  (= J_softmax(z^2)^T nabla C(y) for softmax with cross_entropy, simplified)" in text
    assert re.search(r"\(change [+-]\d\.\d+\)$", text.strip().splitlines()[-1])
    assert len(re.search(r"\(change [+-](\S+)\)", text).group(1).replace("0.", "").lstrip("0")) <= 2


def test_markdown_has_the_texts_fixes(capsys):
    # From a review: the format the README gives "for slides" still worked out 0 x 0, cut off nabla C(y)'s class entry,
    # wrote softmax's y - t bare, defined neither odot nor J, and gave no cost change
    assert main(["explain", "--example", "digits:7", "--layers", "8", "--loss", "cross_entropy", "--format", "markdown",
                 "--fused"]) == 0
    text = capsys.readouterr().out
    assert r"\text{entry } 8)" in text and r"(0.0) = 0.0$$" not in text
    assert r"y - t \;(= J_{\mathrm{softmax}}(z^{2})^T \nabla C(y)\text{, simplified})" in text
    assert r"$\odot$ is the element-wise product" in text and r"$J_{\mathrm{softmax}}(z)$ is the Jacobian" in text
    assert re.search(r"\(change \$[+-][0-9.]+\$\)", text)


def test_markdown_names_an_entry_right_after_those_shown_without_an_ellipsis(capsys):
    # From a review: x = [0.1, \vdots, 0.9 (entry 2)] implied entries skipped between them
    assert main(["explain", "--x", "0.1,0.9", "--t", "0,1", "--max-units", "1", "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert r"x = \begin{bmatrix}0.1 \\ 0.9\;(\text{entry } 2)\end{bmatrix}" in text
    assert "(entries are numbered from 1)" in text


def test_explain_takes_a_row_of_a_sparse_X():
    import scipy.sparse as sp

    net = Network([3, 2, 2], seed=0)
    row = sp.csr_matrix(np.array([[0.0, 0.5, 0.0]]))
    assert explain(net, row, 1).layers[0].a.tolist() == explain(net, [0.0, 0.5, 0.0], 1).layers[0].a.tolist()


def test_a_fitted_classifiers_class_label_is_one_of_its_classes_as_predict_gives_them():
    # From a teacher's review: t = 2 picked the third output unit (class 5) of a network trained on the labels
    # 0, 2, 5, and t = 5 was refused as "a class label must be in 0..2".
    X = np.random.default_rng(0).random((30, 2))
    net = Network([2, 3, 3], activation="tanh", seed=0, dtype="float64")
    net.fit(X, np.array([0, 2, 5] * 10), epochs=2)
    assert explain(net, X[1], 2).t.tolist() == [0, 1, 0] and explain(net, X[1], 5).t.tolist() == [0, 0, 1]
    assert explain(net, X[1], np.int64(0)).t.tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match=r"^t: expected a class label, one of the network's classes \[0, 2, 5\], or an "
                                         r"encoded target of 3 values; got 1$"):
        explain(net, X[1], 1)
    assert explain(net, X[1], [0, 0, 1]).t.tolist() == [0, 0, 1]  # (an encoded target as before)
    words = Network([2, 3, 3], activation="tanh", seed=0, dtype="float64")
    words.fit(X, np.array(["ant", "bee", "cat"] * 10), epochs=2)
    assert explain(words, X[1], "cat").t.tolist() == [0, 0, 1]
    binary = Network([2, 3, 1], activation="tanh", output="sigmoid", loss="binary_cross_entropy", seed=0, dtype="float64")
    binary.fit(X, np.array([3, 7] * 15), epochs=2)
    assert explain(binary, X[1], 7).t.tolist() == [1] and explain(binary, X[1], 3).t.tolist() == [0]
    assert explain(binary, X[1], 0.7).t.tolist() == [0.7]  # (one output: a number not among its classes is a target)
    zero_one = Network([2, 3, 1], activation="tanh", output="sigmoid", loss="binary_cross_entropy", seed=0, dtype="float64")
    zero_one.fit(X, np.array([0, 1] * 15), epochs=2)
    assert explain(zero_one, X[1], 0.7).t.tolist() == [0.7] and explain(zero_one, X[1], 1).t.tolist() == [1]
    fresh = Network([2, 3, 3], activation="tanh", seed=0, dtype="float64")  # (no classes yet: an output's index)
    assert explain(fresh, X[1], 2).t.tolist() == [0, 0, 1]


def test_cli_explains_a_trained_model_on_its_own_scaling_and_classes(tmp_path, capsys):
    # From a teacher's review: explain could only build a new network; a trained model's pass could not be shown
    from deltaprop.data import Scaling
    from deltaprop.io import save_model

    rng = np.random.default_rng(0)
    raw = rng.normal(loc=5.0, scale=3.0, size=(40, 3))
    scaling = Scaling.fit(raw, "standard")
    net = Network([3, 4, 3], activation="tanh", seed=0, dtype="float64")
    net.fit(scaling.apply(raw).astype(np.float64), np.array(["ant", "bee", "cow"] * 13 + ["ant"]), epochs=3)
    path = save_model(net, tmp_path / "m.safetensors", scaling=scaling)
    assert main(["explain", "--model", str(path), "--x", "4,5,6", "--t", "bee", "--max-units", "10"]) == 0
    text = capsys.readouterr().out
    x = scaling.apply(np.array([[4.0, 5.0, 6.0]]))[0]  # (the model's scaling, as predict applies it)
    check_against_network(text, net, x, [0, 1, 0], eta=0.5)
    assert "x is --x, standardised: each column minus its mean" in text and "as the model was trained" in text
    assert main(["explain", "--model", str(path), "--x", "4,5,6", "--t", "0,0,1", "--max-units", "10"]) == 0
    check_against_network(capsys.readouterr().out, net, x, [0, 0, 1], eta=0.5)  # (an encoded target, as given)
    for args, message in [
        (["--x", "4,5,6", "--t", "bee", "--layers", "3"], "--layers: the network is --model {path}'s; leave --layers out"),
        (["--x", "4,5,6", "--t", "emu"], "--t: expected one of the model's classes ant, bee, cow, or the 3 values of an "
                                         "encoded target; got 'emu'"),
        (["--x", "4,5", "--t", "bee"], "--x: got 2 values; the model expects N_0 = 3"),
        (["--x", "4,5,6"], "--model: give the example to explain: --x and --t (its input and target), or --example"),
        (["--example", "digits:3"], "--example: digits has 64 features per example; the model expects N_0 = 3"),
    ]:
        assert main(["explain", "--model", str(path), *args]) == 1
        assert message.format(path=path) in capsys.readouterr().err


def test_cli_explains_a_trained_digits_model_on_a_digit(tmp_path, capsys):
    model = tmp_path / "d.safetensors"
    assert main(["train", "--data", "digits", "--layers", "8", "--epochs", "2", "--quiet", "--out", str(model)]) == 0
    capsys.readouterr()
    assert main(["explain", "--model", str(model), "--example", "digits:7", "--max-units", "70"]) == 0
    text = capsys.readouterr().out
    from deltaprop.io import load_model
    from sklearn.datasets import load_digits

    saved = load_model(model)
    X, y = load_digits(return_X_y=True)
    check_against_network(text, saved.network, saved.scale(X[7:8])[0], np.eye(10)[y[7]], eta=0.5)
    assert f"x is example 7 of digits, scaled to [0, 1]" in text and f"Its class is {y[7]}." in text


def test_markdown_writes_powers_of_ten_and_no_number_shows_a_minus_zero():
    # From a teacher's review: "1e-06" inside $...$ rendered as "1e - 06", and nabla C(y) showed [-0.0, -4.12, -0.0]
    from deltaprop.explain import format_number, latex_number

    assert latex_number("1e-06") == r"1 \times 10^{-6}" and latex_number("8.5e+37") == r"8.5 \times 10^{37}"
    assert latex_number("-2.5e-07") == r"-2.5 \times 10^{-7}" and latex_number("0.25") == "0.25"
    assert format_number(-0.0, np.dtype(np.float32)) == format_number(0.0, np.dtype(np.float32)) == "0.0"
    assert format_number(-0.0, np.dtype(np.float64), precision=3) == "0"
    net = Network([2, 3], output="softmax", loss="cross_entropy", seed=0, dtype="float64")
    net.weights[0][...] = [[1e-7, 0], [0, 0], [0, 0]]
    ex = explain(net, [1.0, 0.0], [0, 1, 0])
    assert "-0.0" not in ex.to_text() and "-0.0" not in ex.to_markdown()
    md = ex.to_markdown()
    assert r"\times 10^{-" in md and not re.search(r"\de-\d", md)


def test_cli_explain_model_reads_an_example_as_evaluate_does(tmp_path, monkeypatch, capsys):
    # From a review of explain --model: a CSV whose columns came in another order was taken by position, raw values
    # were rounded to float32 before the model's scaling (a column near 1e6 was 8% off), a one-output model took no
    # number as --t, and the class sentence read "np.str_('bee')"
    from deltaprop.io import load_model

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    a, big, c = rng.normal(size=60), 1e6 + rng.normal(scale=0.3, size=60), rng.normal(size=60)
    label = np.where(a + (big - 1e6) > 0, "bee", "ant")
    rows = "".join(f"{x},{y!r},{z},{w}\n" for x, y, z, w in zip(a.tolist(), big.tolist(), c.tolist(), label))
    (tmp_path / "t.csv").write_text("a,big,c,label\n" + rows)
    reordered = "".join(f"{w},{z},{x},{y!r}\n" for x, y, z, w in zip(a.tolist(), big.tolist(), c.tolist(), label))
    (tmp_path / "r.csv").write_text("label,c,a,big\n" + reordered)
    assert main(["train", "--data", "t.csv", "--layers", "4", "--epochs", "3", "--quiet", "--out", "m.safetensors"]) == 0
    saved = load_model("m.safetensors")
    x = saved.scale(np.array([[a[0], big[0], c[0]]]))[0]  # (as predict takes row 0)
    for data in ("t.csv", "r.csv"):
        capsys.readouterr()
        assert main(["explain", "--model", "m.safetensors", "--example", f"{data}:0", "--max-units", "10"]) == 0
        text = capsys.readouterr().out
        check_against_network(text, saved.network, x, [1, 0] if label[0] == "ant" else [0, 1], eta=0.5)
        assert f"Its class is '{label[0]}'." in text and "np.str_" not in text
    binary = Network([3, 2, 1], output="sigmoid", loss="binary_cross_entropy", seed=0, dtype="float64")
    binary.fit(np.eye(3), ["no", "yes", "no"], epochs=1)
    from deltaprop.io import save_model

    save_model(binary, "b.safetensors")
    assert main(["explain", "--model", "b.safetensors", "--x", "1,0,0", "--t", "0.7", "--max-units", "10"]) == 0
    check_against_network(capsys.readouterr().out, binary, [1.0, 0.0, 0.0], [0.7], eta=0.5)
    assert main(["explain", "--model", "b.safetensors", "--x", "1,0,0", "--t", "yes", "--max-units", "10"]) == 0
    check_against_network(capsys.readouterr().out, binary, [1.0, 0.0, 0.0], [1.0], eta=0.5)
    with pytest.raises(ValueError, match=r"^t: expected a class label, one of the network's classes \['no', 'yes'\], or an "
                                         r"encoded target of 1 value; got 'maybe'$"):
        explain(binary, [1, 0, 0], "maybe")


def test_cli_explain_model_says_a_regression_model_meets_text_labels(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    X = np.random.default_rng(0).normal(size=(40, 2))
    (tmp_path / "reg.csv").write_text("a,b,y\n" + "".join(f"{p},{q},{p + q}\n" for p, q in X.tolist()))
    (tmp_path / "txt.csv").write_text("a,b,y\n" + "".join(f"{p},{q},{'ab'[i % 2]}\n" for i, (p, q) in enumerate(X.tolist())))
    assert main(["train", "--data", "reg.csv", "--label", "y", "--layers", "3", "--epochs", "2", "--quiet", "--out", "r.st"]) == 0
    assert main(["explain", "--model", "r.st", "--example", "txt.csv:0", "--label", "y"]) == 1
    assert ("--example: the labels of txt.csv are text, and --model r.st is a regression (its targets are numbers)"
            in capsys.readouterr().err)


def test_markdown_costs_are_powers_of_ten_too():
    net = Network([2, 1], output="identity", loss="quadratic", seed=0, dtype="float64")
    net.weights[0][...] = [[1.0, 0.0]]
    ex = explain(net, [1.0, 0.0], [1.0 + 1e-4])  # (a cost of 5e-09)
    md = ex.to_markdown()
    assert re.search(r"C\(\\theta\) = [\d.]+ \\times 10\^\{-9\}", md) and not re.search(r"\de-\d", md)


def test_cli_explain_model_examples_are_checked_as_evaluate_checks_data(tmp_path, monkeypatch, capsys):
    # From a third review of explain --model: a one-output model took a label that is none of its classes as class 1's
    # encoding and name; --example ignored the label column the model was trained with; a class name's escape
    # sequence reached the terminal; a per-column unit scaling crashed; widths were said three ways
    from deltaprop.data import Scaling
    from deltaprop.io import save_model

    monkeypatch.chdir(tmp_path)
    X = np.random.default_rng(0).normal(size=(40, 3))
    binary = Network([3, 2, 1], output="sigmoid", loss="binary_cross_entropy", seed=0)  # (float32: a CSV's rows as read)
    binary.fit(X, np.array([1, 4] * 20), epochs=1)
    save_model(binary, "b.st", class_names=["low", "high\x1b]0;pwned\x07"], feature_names=["a", "b", "c"],
               training={"label": "y"})
    (tmp_path / "d.csv").write_text("a,b,c,y\n" + "".join(f"{p},{q},{r},{lab}\n" for (p, q, r), lab in
                                                         zip(X.tolist(), [0, 4] * 20)))
    assert main(["explain", "--model", "b.st", "--example", "d.csv:0"]) == 1  # (label 0: none of the classes 1, 4)
    assert "--example: the label 0 of row 0 of d.csv is not among the classes of --model b.st: 1, 4" in capsys.readouterr().err
    assert main(["explain", "--model", "b.st", "--example", "d.csv:1", "--max-units", "5"]) == 0  # (column y, as trained)
    out = capsys.readouterr().out
    assert "Its class is 4 (high\\x1b]0;pwned\\x07)." in out and "\x1b" not in out
    check_against_network(out, binary, X[1], [1.0], eta=0.5)
    assert main(["explain", "--model", "b.st", "--x", "1,2,3", "--t", "4.0", "--max-units", "5"]) == 0  # (class 4)
    check_against_network(capsys.readouterr().out, binary, [1.0, 2.0, 3.0], [1.0], eta=0.5)
    assert main(["explain", "--model", "b.st", "--x", "1,2,3", "--t", "maybe"]) == 1
    assert "--t: expected one of the model's classes low, high\\x1b]0;pwned\\x07, or the value of an encoded target" in \
        capsys.readouterr().err
    assert explain(binary, [1, 2, 3], np.array(0.7)).t.tolist() == [np.float32(0.7)]
    per_column = Network([3, 2, 2], seed=0, dtype="float64")
    per_column.fit(X, np.array([0, 1] * 20), epochs=1)
    save_model(per_column, "u.st", scaling=Scaling("unit", X.min(axis=0), 1 / (X.max(axis=0) - X.min(axis=0))))
    assert main(["explain", "--model", "u.st", "--x", "1,2,3", "--t", "1", "--max-units", "5"]) == 0
    assert "scaled to [0, 1]: each column by its smallest and largest value over the model's training data" in \
        capsys.readouterr().out
    save_model(per_column, "s.st", scaling=Scaling.fit(X, "standard"))
    (tmp_path / "w.csv").write_text("a,b,label\n" + "".join(f"{p},{q},1\n" for p, q, _ in X.tolist()))
    assert main(["explain", "--model", "s.st", "--example", "w.csv:0"]) == 1
    assert "--example: w.csv has 2 features per example; the model expects N_0 = 3" in capsys.readouterr().err


def test_inf_and_nan_in_the_markdown_are_latex_not_italic_letters():
    # From a teacher's review: "$z = inf$" and "$nan$" render in LaTeX as the italic letters i n f and n a n
    import re
    import warnings

    from deltaprop.explain import latex_number

    assert [latex_number(t) for t in ("inf", "-inf", "nan")] == [r"\infty", r"-\infty", r"\text{NaN}"]
    net = Network([1, 1], output="exp", loss="poisson", seed=0, dtype="float64")
    net.weights[0][...] = 1000  # y = exp(1000) overflows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        md = explain(net, [1.0], [2.0]).to_markdown()
    assert r"C(\theta) = \infty" in md and r"\leftarrow \begin{bmatrix}-\infty\end{bmatrix}" in md
    assert r"(change $\text{NaN}$)" in md
    maths = re.findall(r"\$\$?(.*?)\$\$?", md)
    assert maths and not any(re.search(r"(?<![a-z\\])(inf|nan)(?![a-z])", m) for m in maths)
