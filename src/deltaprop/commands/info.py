"""``deltaprop info``: what a model file holds, read without running anything."""

from __future__ import annotations

from ._common import new_parser, print_json

EXAMPLES = """\
examples:
  deltaprop info m.safetensors
  deltaprop info m.safetensors --json
"""

SUMMARY_KEYS = ("data", "n_train", "n_test", "epochs", "optimiser", "learning_rate", "batch_size", "seconds",
                "final_loss", "final_val_accuracy", "test_accuracy", "stop_reason")


def add_parser(subparsers):
    parser = new_parser(
        subparsers,
        "info",
        help="show a model's architecture, parameter count and training summary",
        description="Show what a model file holds: layers 1..L, activations, loss, parameter count, classes, "
        "input scaling and the training summary.",
        examples=EXAMPLES,
    )
    parser.add_argument("model", metavar="MODEL", help="a model file written by `deltaprop train --out`")
    parser.add_argument("--json", action="store_true", help="print the information as JSON")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from deltaprop.io import load_model, model_config

    saved = load_model(args.model)
    net = saved.network
    training = {k: v for k, v in saved.training.items() if k != "history"}
    if args.json:
        print_json({"model": args.model, "format_version": saved.format_version, **model_config(net),
                    "n_parameters": net.n_parameters, "class_names": saved.class_names,
                    "image_shape": saved.image_shape, "scaling": saved.scaling.method, "training": training})
        return 0
    print(f"{args.model}: deltaprop model (format_version {saved.format_version}), {net.dtype.name}")
    print(f"input: N_0 = {net.sizes[0]}" + (f" ({saved.image_shape[0]}x{saved.image_shape[1]} images)" if saved.image_shape else "")
          + f", scaling {saved.scaling.method}")
    print(f"{'layer':>5}  {'units':>6}  {'activation':<10}  {'dropout':>7}  {'parameters':>10}")
    for l in range(1, net.n_layers + 1):
        n_params = net.sizes[l] * (net.sizes[l - 1] + 1)
        print(f"{l:>5}  {net.sizes[l]:>6}  {net.activations[l - 1].name:<10}  {net.dropout[l - 1]:>7g}  {n_params:>10,}")
    print(f"total parameters: {net.n_parameters:,}")
    print(f"loss: {net.loss_function.name}, l2: {net.l2:g}")
    if net.classes_ is not None:
        names = saved.class_names or net.classes_.tolist()
        print(f"classes ({len(names)}): {', '.join(map(str, names))}")
    if training:
        print("training:")
        for key in SUMMARY_KEYS:
            if training.get(key) is not None:
                value = training[key]
                print(f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value}")
    return 0
