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
    assert scalar_after(text, "cost before") == net.loss(X, T)
    after = net.copy()
    for p, grad in zip(after.parameters(), [a for dW, db in zip(g.dW, g.db) for a in (dW, db)]):
        p -= p.dtype.type(eta) * grad
    assert scalar_after(text, "cost after") == after.loss(X, T)


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
    (["--output", "sigmoid"], "sigmoid", "quadratic"),
    (["--loss", "cross_entropy", "--t", "0,1"], "softmax", "cross_entropy"),
])
def test_cli_defaults_each_of_output_and_loss_alone(flags, output, loss, capsys):
    from deltaprop.explain import COST_FORMULAS

    assert main(["explain", *flags]) == 0
    text = capsys.readouterr().out
    assert f"(N_2 = 2, sigma = {output})" in text and f"{COST_FORMULAS[loss]} = " in text  # layer L


def test_cli_example_refuses_a_label_for_data_that_hold_their_own(tmp_path, capsys):
    # An IDX directory (like fashion-mnist and mnist) has its labels in its label files: --label would be ignored.
    (tmp_path / "idx").mkdir()
    assert main(["explain", "--example", f"{tmp_path / 'idx'}:0", "--label", "species"]) == 1
    assert "error: --label: names the label column of a .csv/.npy/.npz file" in capsys.readouterr().err
    assert main(["explain", "--example", "fashion-mnist:0", "--label", "species"]) == 1
    assert "'fashion-mnist' is a built-in data set" in capsys.readouterr().err
