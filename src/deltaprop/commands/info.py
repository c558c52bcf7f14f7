"""``deltaprop info``: what a model file (or a training checkpoint) holds, read without running anything."""

from __future__ import annotations

import numpy as np

from deltaprop.optimisers import full_batch_optimisers

from ._common import file_kind, new_parser, print_json, shown_safely

EXAMPLES = """\
examples:
  deltaprop info m.safetensors
  deltaprop info m.safetensors --json
  deltaprop info run.ckpt                # a training checkpoint (train --checkpoint): its network and progress
"""

SUMMARY_KEYS = ("data", "task", "n_train", "n_test", "epochs", "optimiser", "learning_rate", "batch_size", "seconds",
                "final_loss", "final_val_accuracy", "test_accuracy", "test_score", "stop_reason")


def _say(line: str = "") -> None:
    """Print one line of what a file says, shown safely (see ``_common.shown_safely``)."""
    print(shown_safely(str(line)))


def add_parser(subparsers):
    parser = new_parser(
        subparsers,
        "info",
        help="show a model's architecture, parameter count and training summary",
        description="Show what a model file holds: layers 1..L, activations, loss, parameter count, classes, "
        "input scaling and the training summary. Given a training checkpoint (train --checkpoint), show its "
        "network, optimiser and how far its run has got.",
        examples=EXAMPLES,
    )
    parser.add_argument("model", metavar="MODEL", help="a model file written by `deltaprop train --out`, "
                        "or a training checkpoint written by `deltaprop train --checkpoint`")
    parser.add_argument("--json", action="store_true", help="print the information as JSON")
    parser.set_defaults(run=run)
    return parser


def _print_layers(net) -> None:
    width = max(10, *(len(a.name) for a in net.activations))  # (an activation's name may be longer than the heading)
    _say(f"{'layer':>5}  {'units':>6}  {'activation':<{width}}  {'dropout':>7}  {'parameters':>10}")
    for l in range(1, net.n_layers + 1):
        n_params = net.sizes[l] * (net.sizes[l - 1] + 1)
        _say(f"{l:>5}  {net.sizes[l]:>6}  {net.activations[l - 1].name:<{width}}  {net.dropout[l - 1]:>7g}  {n_params:>10,}")
    _say(f"total parameters: {net.n_parameters:,}")
    _say(f"loss: {net.loss_function.name}, l2: {net.l2:g}")


def _labels(classes) -> list:
    """Class labels as JSON values: numbers, booleans and text as they are; bytes (as Latin-1), dates and durations as text."""
    if classes.dtype.kind in "Mm":
        return [str(c) for c in classes]
    return [v.decode("latin-1") if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v for v in classes.tolist()]


def run(args) -> int:
    from deltaprop.io import load_model, model_config

    try:
        saved = load_model(args.model)
    except ValueError:
        if file_kind(args.model) == "checkpoint":
            return describe_checkpoint(args)
        raise
    net = saved.network
    training = {k: v for k, v in saved.training.items() if k != "history"}
    if training.get("optimiser") in full_batch_optimisers() and "batch_size" in training:  # (old files: the default) "all"
        training["batch_size"] = "all"
    if args.json:
        print_json({"model": args.model, "format_version": saved.format_version, **model_config(net),
                    "n_parameters": net.n_parameters, "class_names": saved.class_names,
                    "image_shape": saved.image_shape, "feature_names": saved.feature_names, "scaling": saved.scaling.method,
                    "target_scaling": None if saved.target_scaling is None else saved.target_scaling.to_dict(),
                    "training": training})
        return 0
    _say(f"{args.model}: deltaprop model (format_version {saved.format_version}), {net.dtype.name}")
    _say(f"input: N_0 = {net.sizes[0]}" + (f" ({saved.image_shape[0]}x{saved.image_shape[1]} images)" if saved.image_shape else "")
          + f", scaling {saved.scaling.method}")
    if saved.target_scaling is not None:
        t = saved.target_scaling
        shown = lambda v: f"{float(v):.6g}" if np.ndim(v) == 0 else "[" + ", ".join(f"{x:.6g}" for x in np.ravel(v)) + "]"  # noqa: E731
        _say(f"targets: trained as (t - {shown(t.shift)}) * {shown(t.factor)}; predictions are given in the targets' units")
    if saved.feature_names:
        shown = ", ".join(saved.feature_names[:20]) + (f", ... ({len(saved.feature_names)} in all)" if len(saved.feature_names) > 20 else "")
        _say(f"input columns: {shown}")
    _print_layers(net)
    if net.classes_ is not None:
        names = saved.class_names or _labels(net.classes_)
        _say(f"classes ({len(names)}): {', '.join(map(str, names))}")
    if training:
        _say("training:")
        for key in SUMMARY_KEYS:
            if training.get(key) is not None:
                value = training[key]
                if isinstance(value, float):  # 4 decimals for scores and seconds; a learning rate such as 1e-05 in full
                    value = f"{value:.6g}" if key == "learning_rate" else f"{value:.4f}"
                _say(f"  {key}: {value}")
    return 0


def describe_checkpoint(args) -> int:
    """``deltaprop info run.ckpt``: the network, optimiser and progress of a training checkpoint."""
    import numpy as np

    from deltaprop.checkpoint import describe_data, load_checkpoint

    ck = load_checkpoint(args.model)
    net = ck.network()  # (an initialiser of the user's own is only a name in the file)
    optimiser = ck.optimiser["name"]
    flags = ck.info or {}
    last = {key: values[-1] for key, values in ck.history.items() if isinstance(values, list) and values}
    summary = {
        "checkpoint": args.model,
        "sizes": net.sizes,
        "activations": [a.name for a in net.activations],
        "loss": net.loss_function.name,
        "l2": net.l2,
        "dtype": net.dtype.name,
        "n_parameters": net.n_parameters,
        "classes": None if ck.classes is None else _labels(ck.classes),
        "epochs_done": ck.epochs_done,
        "epochs": flags.get("epochs"),
        "step": ck.step,
        "optimiser": optimiser,
        "optimiser_options": ck.optimiser.get("options", {}),
        "learning_rate": ck.eta0,
        "batch_size": "all" if optimiser in full_batch_optimisers() else ck.batch_size,
        "validation_fraction": ck.validation_fraction,
        "data": flags.get("data"),
        "data_fingerprint": ck.data,
        "flags": flags,
        "last_epoch": last,
    }
    if args.json:
        print_json(summary)
        return 0
    _say(f"{args.model}: deltaprop training checkpoint (continue it with `deltaprop train --resume {args.model}`), "
          f"{net.dtype.name}")
    _say(f"network: {net}")
    _print_layers(net)
    if ck.classes is not None:
        _say(f"classes ({len(ck.classes)}): {', '.join(map(str, summary['classes']))}")
    total = f" of {flags['epochs']}" if flags.get("epochs") else ""
    _say(f"progress: {ck.epochs_done}{total} epochs done ({ck.step:,} steps)")
    options = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in summary["optimiser_options"].items())
    rate = "" if ck.eta0 is None else f", learning rate {ck.eta0:g}"
    _say(f"optimiser: {optimiser}{rate}" + (f" ({options})" if options else ""))
    if summary["batch_size"] is not None:
        _say(f"batch size: {summary['batch_size']}")
    if ck.validation_fraction is not None:
        _say(f"validation fraction: {ck.validation_fraction:g}")
    if ck.data is not None:
        _say(f"data: {flags.get('data') or 'training data'} ({describe_data(ck.data)})")
    shown = {k: v for k, v in flags.items() if k not in ("data", "epochs") and v is not None}
    if shown:
        _say("flags: " + ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in shown.items()))
    for key, arrays in ck.callback_arrays.items():
        epoch = arrays.get("epoch")
        what = (f"the weights of epoch {int(epoch.reshape(-1)[0]) + 1}" if key.startswith("EarlyStopping.") and epoch is not None
                and epoch.size == 1 and epoch.dtype.kind in "iu" else f"{len(arrays)} array{'s' if len(arrays) != 1 else ''}")
        _say(f"kept by {key}: {what}")
    if last:
        _say("last epoch: " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in last.items()
                                         if k != "time"))
    return 0
