"""Lightning with our schedules (``warmup_torch.lightning.scheduler_config``): a tiny model, CPU,
gradient accumulation, checkpoints every 2 updates; the lr of each optimizer update is read
in ``on_before_optimizer_step``.

Measured: the schedule is sized to Lightning's own update count (``estimated_stepping_batches``),
stepped per update (not per epoch), every lr equals the float64 host schedule exactly, and runs
resumed (``fit(ckpt_path=...)``) mid-warmup and mid-decay continue with exactly the uninterrupted lrs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

L = pytest.importorskip("lightning.pytorch")

from warmup_spec import Schedule  # noqa: E402
from warmup_torch.lightning import scheduler_config  # noqa: E402

N, BATCH, ACCUM, EPOCHS = 20, 2, 3, 3
UPDATES = EPOCHS * -(-(N // BATCH) // ACCUM)  # 10 batches an epoch, 4 updates (3 + 3 + 3 + 1 batches): 12
CFG = {"schedule": "warmup_cosine_decay", "peak_value": 0.1, "warmup_steps": 4, "end_value": 0.01}
"""Left out: total_steps, which Lightning's count fills in."""


class Tiny(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.lin = torch.nn.Linear(4, 1)
        self.lrs: dict[int, float] = {}

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.lin(x).squeeze(-1), y)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=0.5)
        return {"optimizer": opt, "lr_scheduler": scheduler_config(opt, CFG, self.trainer)}

    def on_before_optimizer_step(self, optimizer):
        self.lrs[self.trainer.global_step] = optimizer.param_groups[0]["lr"]


def loader() -> torch.utils.data.DataLoader:
    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(N, 4, generator=g), torch.arange(N, dtype=torch.float32) % 3)
    return torch.utils.data.DataLoader(data, batch_size=BATCH, shuffle=False)


def run(root: Path, ckpt: str | None = None) -> Tiny:
    model = Tiny()
    saver = L.callbacks.ModelCheckpoint(dirpath=root, filename="{step}", every_n_train_steps=2, save_top_k=-1)
    trainer = L.Trainer(max_epochs=EPOCHS, accumulate_grad_batches=ACCUM, accelerator="cpu", devices=1, logger=False,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[saver],
                        default_root_dir=root, num_sanity_val_steps=0)
    trainer.fit(model, loader(), ckpt_path=ckpt)
    return model


def test_lightning_runs_our_lrs_per_update_and_resumes_to_the_uninterrupted_ones(tmp_path):
    full = run(tmp_path / "full")
    assert full.trainer.global_step == UPDATES == len(full.lrs)
    expected = Schedule({**CFG, "total_steps": UPDATES})
    assert full.lrs == {k: expected(k) for k in range(UPDATES)}  # float64, exactly: stepped every update
    for step in (2, 8):  # mid-warmup (w = 4), mid-decay
        resumed = run(tmp_path / f"from{step}", ckpt=str(tmp_path / "full" / f"step={step}.ckpt"))
        assert resumed.lrs == {k: full.lrs[k] for k in range(step, UPDATES)}, step
