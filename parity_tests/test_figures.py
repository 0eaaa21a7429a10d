"""The README's and docs' figures (``docs/figures``, ``make figures``) are present and current:
each PNG's metadata holds a hash of the data it plots, recomputed here from the figure's
definition (``warmup_parity.doc_figures``) without drawing."""

from __future__ import annotations

import json

import pytest

from warmup_parity import doc_figures as D


@pytest.mark.parametrize("fig", D.FIGURES, ids=[f.name for f in D.FIGURES])
def test_each_figure_is_present_and_plots_its_current_data(fig):
    path = D.FOLDER / f"{fig.name}.png"
    assert path.exists(), f"{path} is missing: run `make figures`"
    assert D.written_fingerprint(path) == D._fingerprint(fig.data()), f"{path} is stale: run `make figures`"
    assert path.stat().st_size < 60_000


def test_the_port_figure_marks_where_each_port_parts_from_the_catalogue():
    data = D.ports_data()
    partings = [D.first_parting(data["series"][i], data["series"][i + 1]) for i in (0, 2)]
    assert partings == [100, 0]  # MaxText's cosine rises again after its last step; torchtitan starts at lr / W


def test_the_report_figure_is_of_the_run_defined_here():
    report = json.loads(D.report_path().read_text(encoding="utf-8"))
    assert report["config"]["run"] == D.REPORT_RUN and report["summary"]["passed"] is True


@pytest.mark.slow  # the comparison itself: jax, flax and torch, ~10 s
def test_the_committed_report_is_what_the_run_gives_now():
    now, committed = D.run_report(), json.loads(D.report_path().read_text(encoding="utf-8"))
    for key in ("lr_jax", "lr_torch", "loss_jax", "loss_torch"):
        assert [r[key] for r in now["steps"]] == pytest.approx([r[key] for r in committed["steps"]], rel=1e-9)
