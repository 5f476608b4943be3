"""The practitioner corpus: small ReLU networks trained the way people train them, written as problem files.

Needs PyTorch (an optional extra of the project: ``pip install torch``). Run from the repository root::

    python bench/practitioner/train.py [--out bench/practitioner/problems] [--only PATTERN]

Every network is plain PyTorch: ``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU``, ``nn.MSELoss()``
(the mean over samples *and* outputs), full-batch Adam or SGD with momentum and ``weight_decay=w``,
float32 (a few float64), a step learning-rate schedule. Torch's ``weight_decay=w`` adds ``w·θ`` to
every parameter's gradient (biases included), i.e. it minimises ``MSE + (w/2)‖θ‖²``. pscert's objective
is ``L = (1/N) Σ_j ‖f(x_j) − y_j‖² + λ‖θ‖² = k·MSE + λ‖θ‖²`` with ``k`` outputs, so the same minimisers
have ``λ = k·w/2``, computed exactly from the decimal ``w`` as written here.

Each network becomes ``<out>/<widths>_<optimizer>_<dtype>_s<seed>.json`` (``pscert.problem/1``). Data and
point are the *exact* values of the float32/float64 numbers, written as ``"p/q"`` with ``q`` a power
of 2 (``Fraction(float)``), so nothing is rounded on the way. Training facts that a problem file has no
room for (optimizer, ``w``, epochs, torch's final loss and gradient norm) go to ``<out>/manifest.json``.

Deterministic per seed (``torch.use_deterministic_algorithms``, one thread).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
import time
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import torch
    from torch import nn
except ImportError:  # an optional extra: say so in one line, no traceback
    print("Error: bench/practitioner/train.py needs PyTorch, an optional extra (pip install torch)", file=sys.stderr)
    sys.exit(2)

ARCHITECTURES = ((1, 3, 1), (2, 4, 1), (2, 8, 1), (3, 5, 2), (1, 6, 1), (2, 3, 3, 1), (1, 3, 3, 3, 1), (2, 4, 4, 1),
                 (2, 3, 3, 3, 1), (1, 4, 4, 4, 1))
SEEDS = 7
# torch weight_decay values as a user writes them; λ = k·w/2 runs from 1e-3 to 1/2
DECAYS = ("0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1")


def runs() -> list[dict]:
    """The corpus: seven runs per architecture, Adam on even seeds, SGD on odd ones, float64 on seed 5."""
    out = []
    for a, widths in enumerate(ARCHITECTURES):
        k = widths[-1]
        for seed in range(SEEDS):
            wd = DECAYS[(3 * a + 2 * seed) % len(DECAYS)]
            if Fraction(wd) * k / 2 > Fraction(1, 2):
                wd = DECAYS[(3 * a + 2 * seed) % (len(DECAYS) - 1)]
            out.append({"widths": list(widths), "seed": seed, "optimizer": "adam" if seed % 2 == 0 else "sgd",
                        "dtype": "float64" if seed == 5 else "float32", "weight_decay": wd,
                        "samples": 4 + (7 * a + 11 * seed) % 37})
    return out


def name_of(run: dict) -> str:
    dt = "f64" if run["dtype"] == "float64" else "f32"
    return f"{'-'.join(map(str, run['widths']))}_{run['optimizer']}_{dt}_s{run['seed']}"


def data(run: dict, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs uniform in [−1, 1]; targets a random ReLU teacher (one hidden layer of 3) plus noise."""
    g = torch.Generator().manual_seed(1000 + run["seed"] + 17 * sum(run["widths"]))
    d, k, n = run["widths"][0], run["widths"][-1], run["samples"]
    X = torch.rand(n, d, generator=g, dtype=torch.float64) * 2 - 1
    W1, b1 = torch.randn(3, d, generator=g, dtype=torch.float64), 0.3 * torch.randn(3, generator=g, dtype=torch.float64)
    W2 = torch.randn(k, 3, generator=g, dtype=torch.float64)
    Y = torch.relu(X @ W1.T + b1) @ W2.T + 0.1 * torch.randn(n, k, generator=g, dtype=torch.float64)
    return X.to(dtype), Y.to(dtype)


def train(run: dict) -> tuple[nn.Sequential, torch.Tensor, torch.Tensor, dict]:
    """Train one network; the model, its data and the facts for the manifest."""
    dtype = torch.float64 if run["dtype"] == "float64" else torch.float32
    X, Y = data(run, dtype)
    torch.manual_seed(run["seed"])
    widths = run["widths"]
    layers: list[nn.Module] = []
    for i in range(1, len(widths)):
        layers.append(nn.Linear(widths[i - 1], widths[i]))
        if i < len(widths) - 1:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).to(dtype)
    wd = float(run["weight_decay"])
    if run["optimizer"] == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=wd)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=5e-2, momentum=0.9, weight_decay=wd)
    epochs = 6000
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2500, 4000, 5000], gamma=0.1)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        sched.step()
    # torch's objective and its gradient at the final point (the decay as torch applies it: w·θ)
    opt.zero_grad()
    mse = loss_fn(model(X), Y)
    mse.backward()
    params = list(model.parameters())
    grad2 = sum(float(((p.grad + wd * p) ** 2).sum()) for p in params)
    objective = float(mse) + wd / 2 * sum(float((p ** 2).sum()) for p in params)
    facts = {"torch_mse": float(mse), "torch_objective": objective, "torch_grad_norm": grad2 ** 0.5,
             "epochs": epochs}
    return model, X, Y, facts


def canonical(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def exact(x: float) -> str:
    """The exact value of a binary float as a canonical rational ``"p/q"`` (``q`` a power of 2)."""
    return canonical(Fraction(x))


def problem_json(run: dict, model: nn.Sequential, X: torch.Tensor, Y: torch.Tensor) -> dict:
    k = run["widths"][-1]
    lam = Fraction(run["weight_decay"]) * k / 2
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return {
        "format": "pscert.problem/1",
        "name": f"{name_of(run)}: torch {run['optimizer']}, {run['dtype']}, nn.MSELoss(), "
                f"weight_decay={run['weight_decay']} (λ = {k}·w/2)",
        "network": {"widths": run["widths"], "biases": True, "decay_biases": True},
        "loss": {"reduction": "mean", "weight_decay": canonical(lam)},
        "data": {"inputs": [[exact(v) for v in row] for row in X.tolist()],
                 "targets": [[exact(v) for v in row] for row in Y.tolist()]},
        "point": {"weights": [[[exact(v) for v in row] for row in m.weight.detach().tolist()] for m in linears],
                  "biases": [[exact(v) for v in m.bias.detach().tolist()] for m in linears]},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "problems"))
    ap.add_argument("--only", default="*", help="Train only the runs whose name matches this glob.")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = {}
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    start = time.perf_counter()
    for run in runs():
        name = name_of(run)
        if not fnmatch.fnmatch(name, args.only):
            continue
        t0 = time.perf_counter()
        model, X, Y, facts = train(run)
        with open(os.path.join(args.out, name + ".json"), "w", encoding="utf-8") as fh:
            json.dump(problem_json(run, model, X, Y), fh, indent=1)
            fh.write("\n")
        manifest[name] = {**run, "lambda": problem_json(run, model, X, Y)["loss"]["weight_decay"], **facts}
        print(f"{name}: torch objective {facts['torch_objective']:.6g}, gradient {facts['torch_grad_norm']:.2g} "
              f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    with open(manifest_path, "w", encoding="utf-8") as fh:
        json.dump(dict(sorted(manifest.items())), fh, indent=1)
        fh.write("\n")
    print(f"trained {len(manifest)} networks in {time.perf_counter() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
