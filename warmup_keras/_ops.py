"""The array operations of :class:`~warmup_spec._array_ops.ArrayOps` over ``keras.ops``.

:class:`KerasNumpy` is the NumPy-like namespace the schedule forms are written against
(``where``, ``exp``, ``searchsorted``, ``iinfo``, ...), each name mapped onto ``keras.ops``,
so one composition runs on whatever back end Keras has: JAX arrays on the JAX back end,
torch tensors on the torch back end. Dtypes are Keras's strings (``"int32"``,
``"float32"``); ``iinfo``, ``issubdtype`` and ``dtype`` read them through NumPy.

torch tensors have no ``.astype``, which the forms call: on the torch back end the step is
viewed as a tensor subclass that has it (``keras.ops.cast``), and every tensor computed
from the step inherits the subclass.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import keras
import numpy as np

from warmup_spec._array_ops import ArrayOps


def _np_dtype(d: Any) -> Any:
    return np.dtype(keras.backend.standardize_dtype(d))


class KerasNumpy:
    """A NumPy-like namespace over ``keras.ops`` (only the names the schedule forms use)."""

    integer = np.integer
    int32 = "int32"
    int64 = "int64"
    bool_ = "bool"

    def __getattr__(self, name: str) -> Any:
        return getattr(keras.ops, name)  # where, exp, log, log1p, expm1, sin, cos, sqrt, tanh, ...

    @staticmethod
    def asarray(x: Any, dtype: Any = None) -> Any:
        return keras.ops.convert_to_tensor(x, dtype=dtype)

    @staticmethod
    def full(shape: Any, value: Any, dtype: Any = None) -> Any:
        return keras.ops.full(tuple(shape), value, dtype=dtype)

    @staticmethod
    def rint(x: Any) -> Any:
        return keras.ops.round(x)

    @staticmethod
    def iinfo(d: Any) -> Any:
        return np.iinfo(_np_dtype(d))

    @staticmethod
    def dtype(d: Any) -> Any:
        return _np_dtype(d)

    @staticmethod
    def issubdtype(d: Any, kind: Any) -> bool:
        return bool(np.issubdtype(_np_dtype(d), kind))

    @staticmethod
    def searchsorted(a: Any, v: Any, side: str = "left") -> Any:
        return keras.ops.searchsorted(a, v, side=side)


class KerasOps(ArrayOps):
    """:class:`ArrayOps` over :class:`KerasNumpy`, in Keras's ``floatx`` (float32 by default)."""

    def __init__(self) -> None:
        super().__init__(KerasNumpy(), keras.config.floatx)

    def as_step(self, count: Any, name: str = "schedule", floats: bool = False) -> Any:
        """The step as an integer tensor (a Keras ``Variable`` is read), or as a float tensor where
        the schedule's library takes float steps (``floats``); any other float step is the
        library's ``ValueError``, the same text as every other front end's."""
        t = _steppable(keras.ops.convert_to_tensor(count))
        d = keras.backend.standardize_dtype(t.dtype)
        if d == "bool":
            return keras.ops.cast(t, "int32")
        if floats and "float" in d:
            return self.to_float(t)
        if not self.is_integer(t):
            raise ValueError(f"{name}: a non-integer step is invalid; expected an integer >= 0")
        return t

    def to_float(self, x: Any) -> Any:
        return keras.ops.cast(x, self.float_dtype())


def _steppable(t: Any) -> Any:
    """``t``, or on the torch back end ``t`` viewed as a tensor with ``.astype``."""
    if keras.backend.backend() != "torch":
        return t
    return t.as_subclass(_torch_tensor_with_astype())


@cache
def _torch_tensor_with_astype() -> type:
    import torch

    class StepTensor(torch.Tensor):
        """A torch tensor with NumPy's ``astype`` (what the schedule forms call)."""

        def astype(self, dtype: Any) -> Any:
            return keras.ops.cast(self, dtype)

    return StepTensor


KERAS_OPS = KerasOps()
