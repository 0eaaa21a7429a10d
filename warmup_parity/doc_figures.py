"""The figures of the README and docs (``docs/figures/*.png``): ``make figures``
(``python -m warmup_parity.doc_figures``) writes them, ``--check`` says which are stale.

Each PNG carries in its metadata (``warmup-figure-data``) a hash of the data it plots (the
values to 10 significant digits, and the labels): ``parity_tests/test_figures.py``
recomputes the hash from the figure's definition here, without drawing, and fails when a
PNG is missing or was drawn from other data. The parity report's data is the report
committed beside it (``parity_report.json``): the run is checked against it by a slow test.

- ``catalogue.png``: the shape of every schedule of the catalogue, one panel each;
- ``port_vs_catalogue.png``: two ports beside their nearest catalogue schedule, and the
  first update where they part;
- ``parity_report.png``: a training-parity report of a small Flax NNX model and its torch twin.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from warmup_parity.plot import png, training_figure
from warmup_spec.tables import lr_table

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "docs" / "figures"
KEY = "warmup-figure-data"
DPI = 72

CATALOGUE: list[dict[str, Any]] = [
    {"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 20},
    {"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 20, "total_steps": 100, "end_value": 0.1},
    {"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 20, "total_steps": 100, "end_value": 0.1},
    {"schedule": "warmup_polynomial_decay", "peak_value": 1.0, "warmup_steps": 20, "total_steps": 100, "power": 2.0},
    {"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 20, "transition_steps": 10,
     "decay_rate": 0.7, "end_value": 0.05},
    {"schedule": "warmup_inverse_sqrt", "peak_value": 1.0, "warmup_steps": 20},
    {"schedule": "noam", "d_model": 64, "warmup_steps": 20},
    {"schedule": "legacy_noam", "max_lr": 1.0, "warmup_steps": 20},
    {"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 20, "stable_steps": 50, "decay_steps": 30,
     "end_value": 0.05},
    {"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_steps": 10, "cycle_steps": 30, "cycle_mul": 1.5,
     "cycle_decay": 0.7},
    {"schedule": "one_cycle", "total_steps": 100, "peak_value": 1.0},
    {"schedule": "tri_stage", "peak_value": 1.0, "warmup_steps": 20, "hold_steps": 30, "decay_steps": 40,
     "init_scale": 0.01, "final_scale": 0.05},
    {"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 0.6], "warmup_steps": [10, 10],
     "stable_steps": [25, 20], "decay_steps": [15, 15], "end_values": [0.3, 0.0]},
]
"""One config of each named schedule, peak 1 (``noam``'s from its ``d_model``), 120 updates."""
CATALOGUE_STEPS = 120

PORTS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("MaxText's cosine (steps = learning_rate_schedule_steps)",
     {"schedule": "maxtext.create_learning_rate_schedule", "learning_rate": 1.0, "learning_rate_schedule_steps": 100,
      "steps": 100},
     {"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 10, "total_steps": 99,
      "end_value": 0.1}),
    ("torchtitan's warmup-stable-decay",
     {"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 1.0, "warmup_steps": 10, "total_steps": 100,
      "decay_ratio": 0.3},
     {"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 10, "stable_steps": 60,
      "decay_steps": 30}),
]
"""(title, port, its nearest catalogue schedule)."""
PORT_STEPS = 130

REPORT_RUN: dict[str, Any] = {"schedule": {"schedule": "warmup_cosine_decay", "peak_value": 3e-2, "warmup_steps": 10,
                                           "total_steps": 60, "end_value": 3e-3},
                              "optimizer": {"name": "adamw"}, "steps": 60, "batch": 16, "seed": 0}
"""The parity report's run: a two-layer MLP (Flax NNX and its torch twin), float32, on random data."""


@dataclass(frozen=True)
class DocFigure:
    name: str
    data: Callable[[], dict[str, Any]]
    """The plotted data: ``{"labels": [...], "series": [[...], ...]}`` (cheap: no drawing)."""
    draw: Callable[[dict[str, Any]], Figure]


def _fingerprint(data: dict[str, Any]) -> str:
    """sha256 of the labels and every value to 10 significant digits."""
    text = json.dumps([data["labels"], [[f"{v:.10g}" for v in s] for s in data["series"]]])
    return hashlib.sha256(text.encode()).hexdigest()


def _label(cfg: dict[str, Any]) -> str:
    return str(cfg["schedule"])


# --- the catalogue -------------------------------------------------------------------------------


def catalogue_data() -> dict[str, Any]:
    steps = range(CATALOGUE_STEPS + 1)
    return {"labels": [_label(c) for c in CATALOGUE], "series": [lr_table(c, steps).tolist() for c in CATALOGUE]}


def catalogue_figure(data: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(11.0, 7.6))
    axes = fig.subplots(4, 4, sharex=True).ravel()
    x = np.arange(CATALOGUE_STEPS + 1)
    for ax, label, ys in zip(axes, data["labels"], data["series"]):
        ax.plot(x, ys, lw=1.6, color="C0")
        ax.set_title(label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
    for ax in axes[len(data["labels"]):]:
        ax.set_visible(False)
    for ax in axes:
        ax.tick_params(labelbottom=True)
    fig.suptitle("The catalogue: learning rate per optimizer update (peak_value 1; noam's peak from d_model, "
                 "legacy_noam's below its max_lr)", fontsize=10)
    fig.tight_layout()
    return fig


# --- a port beside the catalogue ------------------------------------------------------------------


def ports_data() -> dict[str, Any]:
    steps = range(PORT_STEPS + 1)
    labels, series = [], []
    for title, port, ours in PORTS:
        labels += [f"{title}|{_label(port)}", f"{title}|{_label(ours)}"]
        series += [lr_table(port, steps).tolist(), lr_table(ours, steps).tolist()]
    return {"labels": labels, "series": series}


def first_parting(a: Sequence[float], b: Sequence[float]) -> int | None:
    """The first update where two lr tables differ (1e-9 relative), or ``None``."""
    for k, (u, v) in enumerate(zip(a, b)):
        if abs(u - v) > 1e-9 * max(abs(u), abs(v), 1e-300):
            return k
    return None


def ports_figure(data: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(11.0, 3.8))
    axes = fig.subplots(1, len(PORTS))
    x = np.arange(PORT_STEPS + 1)
    for i, ax in enumerate(axes):
        (title, a_label), (_, b_label) = (lab.split("|") for lab in data["labels"][2 * i: 2 * i + 2])
        a, b = data["series"][2 * i], data["series"][2 * i + 1]
        ax.plot(x, a, lw=2.4, alpha=0.55, color="C1", label=f"port: {a_label}")
        ax.plot(x, b, lw=1.2, ls="--", color="C0", label=f"catalogue: {b_label}")
        k = first_parting(a, b)
        if k is not None:
            ax.axvline(k, color="C3", lw=0.9, ls=":")
            ax.annotate(f"first differ at update {k}", (k, max(a[k], b[k])), xytext=(6, -14),
                        textcoords="offset points", fontsize=8, color="C3")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("optimizer update", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    axes[0].set_ylabel("learning rate")
    fig.tight_layout()
    return fig


# --- a parity report -----------------------------------------------------------------------------


def report_path() -> Path:
    return FOLDER / "parity_report.json"


def run_report() -> dict[str, Any]:
    """Runs the report's comparison (needs jax, flax and torch): the report's JSON."""
    import torch
    from flax import nnx

    from warmup_parity.comparison import compare

    class Net(nnx.Module):
        def __init__(self) -> None:
            rngs = nnx.Rngs(REPORT_RUN["seed"])
            self.fc1, self.fc2 = nnx.Linear(8, 32, rngs=rngs), nnx.Linear(32, 4, rngs=rngs)

        def __call__(self, x: Any) -> Any:
            return self.fc2(nnx.relu(self.fc1(x)))

    class TorchNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2 = torch.nn.Linear(8, 32), torch.nn.Linear(32, 4)

        def forward(self, x: Any) -> Any:
            return self.fc2(torch.relu(self.fc1(x)))

    rng = np.random.default_rng(REPORT_RUN["seed"])
    batches = [(rng.standard_normal((REPORT_RUN["batch"], 8)).astype(np.float32),
                rng.integers(0, 4, REPORT_RUN["batch"])) for _ in range(REPORT_RUN["steps"])]
    report = compare(Net(), TorchNet(), batches, loss="cross_entropy", optimizer=REPORT_RUN["optimizer"],
                     schedule=REPORT_RUN["schedule"])
    out = report.to_json()
    out["title"] = "a two-layer MLP, Flax NNX vs its torch twin"
    out["config"] = {**out["config"], "run": REPORT_RUN}
    return json.loads(json.dumps(out, default=float))


def report_data() -> dict[str, Any]:
    report = json.loads(report_path().read_text(encoding="utf-8"))
    keys = ["lr_jax", "lr_torch", "loss_jax", "loss_torch", "param_max_abs_diff", "param_rel_diff"]
    return {"labels": [json.dumps(report["config"].get("run"), sort_keys=True), *keys],
            "series": [[float(r[k]) for r in report["steps"]] for k in keys], "report": report}


def report_figure(data: dict[str, Any]) -> Figure:
    fig = training_figure(data["report"])
    fig.set_size_inches(9.0, 7.5)
    fig.tight_layout()
    return fig


FIGURES = [DocFigure("catalogue", catalogue_data, catalogue_figure),
           DocFigure("port_vs_catalogue", ports_data, ports_figure),
           DocFigure("parity_report", report_data, report_figure)]


def _small_png(fig: Figure, fingerprint: str) -> bytes:
    """The figure as a 256-colour PNG (a few tens of KB) with the data hash in its metadata."""
    import io

    from PIL import Image, PngImagePlugin

    with Image.open(io.BytesIO(png(fig, dpi=DPI))) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    info = PngImagePlugin.PngInfo()
    info.add_text(KEY, fingerprint)
    buf = io.BytesIO()
    small.save(buf, format="png", optimize=True, pnginfo=info)
    return buf.getvalue()


def written_fingerprint(path: Path) -> str | None:
    """The data hash in a PNG's metadata (``None`` if the file or the key is missing)."""
    if not path.exists():
        return None
    from PIL import Image

    with Image.open(path) as im:
        return im.text.get(KEY)


def stale() -> list[str]:
    """The figures whose PNG is missing or plots other data than its definition gives."""
    return [f.name for f in FIGURES if written_fingerprint(FOLDER / f"{f.name}.png") != _fingerprint(f.data())]


def write(names: Sequence[str] | None = None) -> list[Path]:
    """Draws the figures (all, or ``names``) into ``docs/figures``; the report's run first when its
    definition changed (or its JSON is missing)."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    path = report_path()
    if not path.exists() or json.loads(path.read_text(encoding="utf-8"))["config"].get("run") != REPORT_RUN:
        path.write_text(json.dumps(run_report(), indent=1) + "\n", encoding="utf-8")
    out = []
    for f in FIGURES:
        if names and f.name not in names:
            continue
        data = f.data()
        target = FOLDER / f"{f.name}.png"
        target.write_bytes(_small_png(f.draw(data), _fingerprint(data)))
        out.append(target)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--check" in args:
        bad = stale()
        for name in bad:
            print(f"stale: docs/figures/{name}.png (run `make figures`)")
        return 1 if bad else 0
    for path in write(args or None):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")
    return 0


__all__ = ["FIGURES", "main", "stale", "write", "written_fingerprint"]

if __name__ == "__main__":
    sys.exit(main())
