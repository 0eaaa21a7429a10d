"""``sample_clock``: any schedule counted in samples or tokens seen, with Megatron's batch-size ramp."""

from __future__ import annotations

import functools
import math
from bisect import bisect_right
from typing import Any, ClassVar

from warmup_spec import _checks as c
from warmup_spec._array_ops import ArrayOps
from warmup_spec.definition import BaseLike, ScheduleSpec, arg, definition, node_of
from warmup_spec.primitives import Node
from warmup_spec.primitives._node import ArrayForm, ClosedForm, Within
from warmup_spec.registry import Base, register

Stage = tuple[int, int, int]
"""``(first update, samples seen before it, batch size)`` of a stretch of constant batch size."""


def ramp_stages(batch_size: int, start: int | None, increment: int | None, samples: int) -> tuple[Stage, ...]:
    """The constant-batch stretches of Megatron's ``RampupBatchsizeNumMicroBatchesCalculator``.

    Before each update Megatron sets the global batch size from the samples consumed so far,
    ``c``: ``batch_size`` if ``c > samples``, else ``start + int(c / (samples / n)) * increment``
    with ``n = (batch_size - start) // increment`` (a float division, reproduced). The last
    stretch, at ``batch_size``, never ends.

    Example:
        >>> ramp_stages(8, 2, 2, 12)  # per 4 samples, 2 more a batch, up to 8
        ((0, 0, 2), (2, 4, 4), (3, 8, 6), (4, 14, 8))
    """
    if start is None or increment is None:
        return ((0, 0, batch_size),)
    per_increment = samples / ((batch_size - start) // increment)

    def batch(consumed: int) -> int:
        if consumed > samples:
            return batch_size
        return start + int(consumed / per_increment) * increment

    stages: list[Stage] = []
    k, consumed = 0, 0
    while True:
        b = batch(consumed)
        stages.append((k, consumed, b))
        if b == batch_size:
            return tuple(stages)
        index = (b - start) // increment  # the stretch ends where the batch size changes
        m = max(1, math.ceil(((index + 1) * per_increment - consumed) / b))
        while m > 1 and batch(consumed + (m - 1) * b) != b:  # float rounding moved the edge down
            m -= 1
        while batch(consumed + m * b) == b:  # or up
            m += 1
        k, consumed = k + m, consumed + m * b


class _Clock(Node):
    """``base(tokens_per_sample * samples(t))``: ``samples`` piecewise linear in the update ``t``
    (one piece a stage of constant batch size), exact integers in the closed form and, in the
    array form, in the step's integer dtype (int64 whenever the float dtype is float64)."""

    def __init__(self, base: Node, stages: tuple[Stage, ...], tokens_per_sample: int) -> None:
        self.base, self.stages, self.tps = base, stages, tokens_per_sample
        self._ks = [s[0] for s in stages]

    # --- the clock ---------------------------------------------------------------

    def clock(self, k: int) -> int:
        """The base's step at update ``k``: the tokens (samples) seen before it."""
        i = bisect_right(self._ks, k) - 1
        k0, c0, b = self.stages[i]
        return (c0 + (k - k0) * b) * self.tps

    def first_update_at(self, u: int) -> int:
        """The first update ``k`` whose clock is ``>= u``."""
        s = -(-u // self.tps)  # samples needed
        for i, (k0, c0, b) in enumerate(self.stages):
            k = k0 + max(0, -(-(s - c0) // b))
            if i + 1 == len(self.stages) or k < self.stages[i + 1][0]:
                return k
        raise AssertionError("unreachable: the last stage never ends")

    # --- forms -------------------------------------------------------------------

    def closed(self, offset: int = 0) -> ClosedForm:
        f, clock = self.base.closed(0), self.clock
        return lambda t: f(clock(t - offset))

    def _cap(self, limit: int) -> tuple[int, int]:
        """``(k_cap, u_cap)``: from update ``k_cap`` on the clock is held at ``u_cap``, so that no
        clock value exceeds ``limit`` (the int dtype's maximum)."""
        end, unit = self.base.end, "tokens" if self.tps > 1 else "samples"
        if end is not None:
            if end > limit:
                raise ValueError(
                    f"sample_clock: the base ends at {end} {unit}, past the largest clock of this integer dtype "
                    f"({limit}: JAX without jax_enable_x64 counts in int32); enable x64, or count the base in "
                    "samples (tokens_per_sample=1) or in larger units"
                )
            return self.first_update_at(end), end
        if self.tps > 1 and limit < 2**62:
            raise ValueError(
                f"sample_clock: a token clock over a base that never ends passes the largest clock of this "
                f"integer dtype ({limit} tokens: JAX without jax_enable_x64 counts in int32); enable x64, or "
                "count the base in samples (tokens_per_sample=1)"
            )
        k_sat = self.first_update_at(limit + 1) - 1  # the clock saturates there, as optax's count does
        return k_sat, self.clock(k_sat)

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp = ops.xp
        f = self.base.array(ops, 0, (0, None))
        wide = xp.dtype(ops.float_dtype()).itemsize == 8

        def value(t: Any) -> Any:
            if wide and ops.is_integer(t) and t.dtype.itemsize < 8:
                t = t.astype(xp.int64)
            k_cap, u_cap = self._cap(int(xp.iinfo(t.dtype).max))
            k = ops.clip_step(t - offset if offset else t, 0, k_cap)
            live = [s for s in self.stages if s[0] < k_cap]
            ends = [s[0] for s in live[1:]] + [k_cap]
            # u(k) = sum over the stages of (batch * tokens) * (the updates of k in that stage): each
            # term and partial sum lies in [0, u(k)], so nothing overflows the step's dtype
            u = xp.zeros_like(k)
            for (k0, _, b), k1 in zip(live, ends):
                u = u + (ops.clip_step(k, k0, k1) - k0) * (b * self.tps)
            return f(xp.where(k >= k_cap, xp.asarray(u_cap, t.dtype), u))

        return value

    # --- facts -------------------------------------------------------------------

    @property
    def end(self) -> int | None:
        end = self.base.end
        return None if end is None else self.first_update_at(end)

    def events(self) -> list[tuple[int, str]]:
        out = sorted({(self.first_update_at(u), kind) for u, kind in self.base.events()})
        return out + [(k0, "batch size change") for k0, _, _ in self.stages[1:]]

    def open_horizon(self) -> tuple[int, str]:
        h, how = self.base.open_horizon()
        return self.first_update_at(h), f"{how} of the base, in updates"


RAMP = c.OrNone(c.Integer(1))
"""A batch-size ramp's parameter: None (no ramp) or an integer ``>= 1``; all three or none."""


@register
@definition
class SampleClock(ScheduleSpec):
    r"""Runs ``base`` on the samples (or tokens) seen instead of the updates: the lr of update
    ``k`` is ``base(n(k))``, with ``n(k)`` the samples consumed by the updates before it
    (times ``tokens_per_sample`` for a token count) under a constant or ramped global batch size,
    as Megatron-LM counts ``--lr-warmup-samples`` / ``--lr-decay-samples`` and tokens-based
    recipes count tokens.

    .. math::
        f(k) = \mathrm{base}\left(\tau \sum_{j < k} B_j\right)

    with ``tau = tokens_per_sample`` and ``B_j`` the global batch size of update ``j``:
    ``batch_size``, or Megatron's ramp (``--rampup-batch-size start increment samples``): with
    ``c`` the samples consumed before update ``j``, ``B_j = batch_size`` if ``c > rampup_samples``,
    else ``rampup_start + int(c / (rampup_samples / n)) * rampup_increment``,
    ``n = (batch_size - rampup_start) / rampup_increment``.

    The base's step parameters are in samples (tokens): ``warmup_steps=375_000_000`` is a warmup
    over 375M tokens with ``tokens_per_sample=2048``. In JAX the clock is an integer of the step's
    dtype: int64 under ``jax_enable_x64``; without x64 it is int32, so a base must end within
    ``2**31 - 1`` samples or tokens (else a ``ValueError`` says what to do), and a sample clock
    over a base that never ends holds from there, as optax's own count does.

    Example:
        >>> f = sample_clock(lambda s: s / 16, 8, rampup_start=2, rampup_increment=2, rampup_samples=12)
        >>> [round(float(f(t)), 6) for t in range(7)]
        [0.0, 0.125, 0.25, 0.5, 0.875, 1.375, 1.875]

    References:
        Megatron-LM ``megatron/core/num_microbatches_calculator.py`` (the ramp) and
        ``optimizer_param_scheduler.py`` (``step(increment=batch size)``).
    """

    schedule: ClassVar[str] = "sample_clock"
    base: BaseLike = arg(Base(), "the schedule, its step counting samples (tokens)")
    batch_size: int = arg(c.Integer(1), "the global batch size in samples (after the ramp)")
    tokens_per_sample: int = arg(c.Integer(1), "tokens a sample (the sequence length) for a token clock; 1 counts "
                                 "samples", default=1)
    rampup_start: int | None = arg(RAMP, "the first global batch size of a ramp, below ``batch_size`` (None: no "
                                   "ramp)", default=None, kw_only=True)
    rampup_increment: int | None = arg(RAMP, "the ramp's step, dividing ``batch_size - rampup_start``", default=None,
                                       kw_only=True)
    rampup_samples: int | None = arg(RAMP, "the samples over which the ramp reaches ``batch_size``", default=None,
                                     kw_only=True)

    def validate(self) -> None:
        n = self.schedule
        ramp = (self.rampup_start, self.rampup_increment, self.rampup_samples)
        if ramp == (None, None, None):
            return
        for key, value in zip(("rampup_start", "rampup_increment", "rampup_samples"), ramp):
            if value is None:
                raise c.fail(n, key, value, "an integer (a ramp needs rampup_start, rampup_increment and "
                             "rampup_samples)")
        b, start, inc = self.batch_size, self.rampup_start, self.rampup_increment
        assert start is not None and inc is not None  # (checked above)
        if start >= b:
            raise c.fail(n, "rampup_start", start, f"an integer in [1, batch_size) = [1, {b})")
        if (b - start) % inc:
            expected = f"an integer >= 1 dividing batch_size - rampup_start ({b - start})"
            raise c.fail(n, "rampup_increment", inc, expected)

    @functools.cached_property
    def stages(self) -> tuple[Stage, ...]:
        """``(first update, samples seen before it, batch size)`` of each stretch of constant batch size."""
        return ramp_stages(self.batch_size, self.rampup_start, self.rampup_increment, self.rampup_samples or 0)

    def samples_seen(self, step: int) -> int:
        """The samples consumed by the updates before update ``step``."""
        i = bisect_right([s[0] for s in self.stages], step) - 1
        k0, c0, b = self.stages[i]
        return c0 + (step - k0) * b

    def batch_size_at(self, step: int) -> int:
        """The global batch size of update ``step`` (what the training loop must feed)."""
        return self.stages[bisect_right([s[0] for s in self.stages], step) - 1][2]

    def compose(self) -> Node:
        return _Clock(node_of(self.base), self.stages, self.tokens_per_sample)

    def nominal_peak(self) -> tuple[str, float] | None:
        return self.base.nominal_peak() if isinstance(self.base, ScheduleSpec) else None

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        n, _ = self.base.warmup() if isinstance(self.base, ScheduleSpec) else (None, ())
        if n is None:
            return None, ()
        k = _Clock(node_of(self.base), self.stages, self.tokens_per_sample).first_update_at(n)
        return k, ((k,) if k > 0 else ())

