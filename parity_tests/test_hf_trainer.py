"""HF ``Trainer`` with our schedules (``warmup_torch.hf_trainer``): a tiny model (built here,
no hub), CPU, a few updates with gradient accumulation; the lr of every optimizer update is
read when HF calls ``on_optimizer_step`` (after ``optimizer.step()``, before the scheduler steps).

Measured: the run's update count is HF's own (``state.max_steps``: epochs of
``ceil(batches / gradient_accumulation_steps)`` updates, or ``max_steps``), the schedule is
sized to it, every lr equals the float64 host schedule exactly, and a run resumed from a
checkpoint mid-warmup and from one mid-decay continues with exactly the uninterrupted lrs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

from transformers import Trainer, TrainerCallback, TrainingArguments  # noqa: E402

import warmup_torch  # noqa: E402
from warmup_spec import Schedule  # noqa: E402
from warmup_torch.hf_trainer import ScheduleTrainer, trainer_scheduler  # noqa: E402

N, BATCH, ACCUM, EPOCHS, WARMUP = 20, 2, 3, 3, 4
UPDATES = EPOCHS * -(-(N // BATCH) // ACCUM)  # 10 batches an epoch, 4 updates of 3, 3, 3 and 1 batches: 12
CFG = {"schedule": "warmup_cosine_decay", "peak_value": 0.1, "end_value": 0.01}
"""Left out: total_steps and warmup_steps, which the trainer fills in."""
SAVE_AT = (2, 8)
"""Checkpoints mid-warmup (w = 4) and mid-decay."""


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.lin = torch.nn.Linear(4, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": torch.nn.functional.mse_loss(self.lin(x).squeeze(-1), labels)}


DATA = [{"x": torch.randn(4, generator=torch.Generator().manual_seed(k)), "labels": torch.tensor(float(k % 3))}
        for k in range(N)]


class LrLog(TrainerCallback):
    def __init__(self) -> None:
        self.lrs: dict[int, float] = {}

    def on_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
        self.lrs[state.global_step] = optimizer.param_groups[0]["lr"]

    def on_step_end(self, args, state, control, **kwargs):
        control.should_save = state.global_step in SAVE_AT  # two checkpoints, not one every few steps


def args(out: Path, **kw: Any) -> TrainingArguments:
    base = dict(output_dir=str(out), per_device_train_batch_size=BATCH, gradient_accumulation_steps=ACCUM,
                num_train_epochs=EPOCHS, learning_rate=0.5, warmup_steps=WARMUP, save_strategy="no",
                logging_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True, seed=0,
                dataloader_num_workers=0)
    return TrainingArguments(**{**base, **kw})


def run(mode: str, out: Path, resume: str | None = None, **kw: Any) -> tuple[dict[int, float], Trainer]:
    """One training run; ``mode``: ``"mixin"`` (``lr_schedule=``) or ``"optimizers"`` (``optimizers=(opt, sched)``)."""
    log = LrLog()
    model = Tiny()
    if mode == "mixin":
        trainer: Trainer = ScheduleTrainer(model=model, args=args(out, **kw), train_dataset=DATA, callbacks=[log],
                                           lr_schedule=CFG)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=0.5)
        sched = warmup_torch.scheduler_from_config(opt, {**CFG, "total_steps": UPDATES, "warmup_steps": WARMUP})
        trainer = Trainer(model=model, args=args(out, **kw), train_dataset=DATA, callbacks=[log],
                          optimizers=(opt, sched))
    trainer.train(resume_from_checkpoint=resume)
    return log.lrs, trainer


@pytest.mark.parametrize("mode", ["mixin", "optimizers"])
def test_trainer_runs_our_lrs_and_resumes_to_the_uninterrupted_ones(mode, tmp_path):
    full, trainer = run(mode, tmp_path / "full")
    assert trainer.state.max_steps == UPDATES == len(full)  # HF's count, with gradient accumulation
    expected = Schedule({**CFG, "total_steps": UPDATES, "warmup_steps": WARMUP})
    assert full == {k: expected(k) for k in range(UPDATES)}  # float64, exactly
    assert trainer.lr_scheduler.schedule == expected
    for step in SAVE_AT:
        resumed, _ = run(mode, tmp_path / f"from{step}", resume=str(tmp_path / "full" / f"checkpoint-{step}"))
        assert resumed == {k: full[k] for k in range(step, UPDATES)}, step


def test_max_steps_sizes_the_schedule_as_hf_counts_it(tmp_path):
    lrs, trainer = run("mixin", tmp_path, max_steps=7, warmup_steps=0.3)  # a warmup ratio: ceil(0.3 * 7) = 3
    assert trainer.state.max_steps == 7 == len(lrs)
    assert trainer.lr_scheduler.schedule == Schedule({**CFG, "total_steps": 7, "warmup_steps": 3})


def test_a_relative_port_takes_the_trainers_lr_and_a_warmup_given_twice_is_refused():
    opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=3e-4)
    sched = trainer_scheduler(opt, {"schedule": "transformers.get_linear_schedule_with_warmup"}, 100, 10)
    assert sched.schedule == Schedule({"schedule": "transformers.get_linear_schedule_with_warmup", "lr": 3e-4,
                                       "num_warmup_steps": 10, "num_training_steps": 100})
    with pytest.raises(ValueError, match=r"^warmup_cosine_decay: warmup_steps=5 in the config and the trainer's "
                                         r"warmup of 10 steps disagree"):
        trainer_scheduler(opt, {**CFG, "warmup_steps": 5}, 100, 10)
