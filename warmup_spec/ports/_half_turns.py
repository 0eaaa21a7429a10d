"""The phase of a cosine wave of a real (non-integer) period at integer steps, reduced in the
array forms so that float32 holds it at any step: :class:`HalfTurns`, shared by torch's
``CosineAnnealingLR`` with a float ``T_max``
(:class:`~warmup_spec.ports._torch_cycles.CosineWave`) and HF's cosines at fractional counts
(:class:`~warmup_spec.ports.hf_transformers.HFCosine`).

The phase at step ``x`` is ``(x - s) R`` half-turns (``R`` half-turns per step and ``s`` the
step of a crest, both exact fractions on the host), taken modulo 2. ``float(x) * R`` in
float32 would be off by up to ``x R 6e-8`` half-turns; the array form reduces it instead:

- exactly where ``R`` is a fraction ``Q / P`` that stays within :data:`EXACT_DRIFT`
  half-turns of it over the step dtype's range (torch's ``T_max = 2.5``: ``R = 2 / 5``; HF's
  ``w=2.5, T=10``: ``2 / 15``) and ``s Q / P`` is one ``C / L`` over a multiple ``L`` of ``P``
  within int32 (``2.5 * 2 / 15 = 1 / 3 = 5 / 15``): ``(x Q' - C) mod 2L`` in integers, split
  as ``x = a L + b`` so that nothing overflows (``x Q' mod 2L = (a Q' mod 2) L + b Q' mod
  2L``); the crests and troughs fall on their steps exactly;
- else chunk by chunk: ``x = sum a_j 256**j`` (``a_j < 256``) and ``(256**j R) mod 2 = hi_j +
  lo_j`` from the exact ``R`` on the host, ``hi_j`` a multiple of ``2**-15``, so that each
  ``a_j hi_j mod 2`` is exact in float32 and only the small ``a_j lo_j`` round: the phase within
  about ``1.2e-7`` half-turns at any int32 step (``T_max = 2.718281828``), ``1e-15`` in
  float64, and at any int64 step in eight chunks.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from warmup_spec._array_ops import HALF_PI, INT32_MAX, ArrayOps

EXACT_DRIFT = 1e-8
"""How far (half-turns) the integer phase of a fraction near ``R`` may part from the exact one
over the step dtype's range, in float32; scaled by the float dtype's resolution (``1e-8 *
2**-29`` in float64, where the chunks are within 1e-15)."""

CHUNK_BITS = 8
"""The bits of the step in each chunk: ``a_j < 2**8`` times a ``hi_j`` on 16 bits is exact in float32."""

GRID = 2**15
"""``hi_j`` and the start phase's high part are multiples of ``1 / GRID`` half-turns in ``[0, 2)``."""


class HalfTurns:
    """The phase ``(x - s) R`` (mod 2) in half-turns of a wave at the integer step ``x >= 0``;
    see the module docstring.

    Args:
        rate: ``R``, the exact half-turns per step (``2 / T`` for a period of ``T`` steps;
            a negative one is ``|R|``: the cosine is even).
        start: ``s``, the exact step of a crest (phase 0), any real.
    """

    def __init__(self, rate: Fraction, start: Fraction = Fraction(0)) -> None:
        self.rate = abs(rate)
        phase0 = (start * self.rate) % 2
        # (L, Q', C, drift): the phase (x Q' - C) / L half-turns, off the exact one by x * drift
        self.exact: tuple[int, int, int, float] | None = None
        if self.rate:
            period, q_max = 1 / self.rate, 1
            while q_max <= INT32_MAX:
                r = period.limit_denominator(q_max)
                P, Q = r.numerator, r.denominator
                if 3 * P > INT32_MAX or P * Q > INT32_MAX:
                    break
                drift = abs(Fraction(Q, P) - self.rate) if P > 0 else None
                if drift is not None and INT32_MAX * drift <= EXACT_DRIFT:
                    ahead = (start * Fraction(Q, P)) % 2  # the start's phase at the rate Q / P: C / L
                    L = math.lcm(P, ahead.denominator)
                    Q2 = Q * (L // P)
                    if 3 * L <= INT32_MAX and L * Q2 <= INT32_MAX:
                        self.exact = L, Q2, int(ahead * L), float(drift)
                    break
                q_max *= 2
        parts = [(Fraction(2 ** (CHUNK_BITS * j)) * self.rate) % 2 for j in range(64 // CHUNK_BITS)]
        his = [Fraction(math.floor(x * GRID), GRID) for x in parts]
        self.hi = [float(h) for h in his]
        self.lo = [float(x - h) for x, h in zip(parts, his)]
        p_hi = Fraction(math.floor(phase0 * GRID), GRID)
        self.phase0_hi, self.phase0_lo = float(p_hi), float(phase0 - p_hi)

    def crest_cos(self, ops: ArrayOps, x: Any) -> Any:
        """``|cos(pi phase / 2)|`` at the integer steps ``x >= 0`` in the float dtype: its square
        is ``(1 + cos(pi phase)) / 2``, 1 at a crest and 0 at a trough, computed as the sine of
        the distance from the trough (no ``1 + cos`` near -1)."""
        xp = ops.xp
        if ops.is_integer(x) and x.dtype.itemsize < 4:  # an 8- or 16-bit step: 256 and L need int32
            x = x.astype(xp.int32)
        wide = ops.fits(x, 2**32)  # an int64 step
        top = int(xp.iinfo(x.dtype).max) if ops.is_integer(x) else 2**63 - 1
        tolerance = EXACT_DRIFT * float(xp.finfo(ops.float_dtype()).eps) / 2**-23
        if self.exact is not None and top * self.exact[3] <= tolerance:
            L, Q, C, _ = self.exact
            shift = 2 * L - C if xp.issubdtype(x.dtype, xp.unsignedinteger) else -C  # -C mod 2L, within the dtype
            a, b = x // L, x % L
            k = ((a % 2) * (Q % 2) * L + (b * Q) % (2 * L) + shift) % (2 * L)  # (x Q - C) mod 2L
            d = xp.minimum(k, 2 * L - k)  # half-turns from the crest, in units of 1 / L
            return xp.sin(ops.to_float(L - d) * (HALF_PI / L))
        hi, lo, rest = -self.phase0_hi, -self.phase0_lo, x
        for j in range((64 if wide else 32) // CHUNK_BITS):
            a = ops.to_float(rest % 2**CHUNK_BITS)  # a_j < 2**8: a_j hi_j is exact
            rest = rest // 2**CHUNK_BITS
            hi = (hi + (a * self.hi[j]) % 2.0) % 2.0
            lo = lo + a * self.lo[j]
        u = (hi + lo) % 2.0
        d = xp.minimum(u, 2.0 - u)  # half-turns from the crest
        return xp.sin((1.0 - d) * HALF_PI)
