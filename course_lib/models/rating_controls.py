"""Training controls of :class:`~course_lib.models.rating_model.RatingModel` (chapters 09-10).

What a continual-learning strategy may change between two ``partial_fit`` calls,
without reaching into Keras: the learning rate, gradient clipping and extra
weight penalties (EWC's), and the trainable variables it may read.  A mixin of
``RatingModel``, which owns ``keras_model`` and ``hyper``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import keras
import numpy as np

from course_lib.core.validation import argument_error, check_number

__all__: list[str] = []

_T = TypeVar("_T", bound="TrainingControls")


class TrainingControls:
    """Learning rate, clipnorm, weight penalties and trainable variables of a Keras model."""

    keras_model: Any
    hyper: dict[str, Any]
    _base_regularizers: list[Any] | None

    @property
    def learning_rate(self) -> float:
        """Adam's step size (setting it changes the current optimizer and the setting)."""
        return float(keras.ops.convert_to_numpy(self.keras_model.optimizer.learning_rate))

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        value = check_number(
            value,
            "learning_rate",
            "RatingModel.learning_rate",
            low=0,
            low_inclusive=False,
            fix="use a positive float such as 1e-3",
        )
        self.hyper["learning_rate"] = value
        self.keras_model.optimizer.learning_rate = value

    @property
    def clipnorm(self) -> float | None:
        """The gradient-norm cap of every training step (``None``: no clipping)."""
        return self.hyper.get("clipnorm")

    def set_clipnorm(self: _T, clipnorm: float | None) -> _T:
        """Clip every gradient to norm ``clipnorm`` from now on (``None``: off); return self.

        The training graph is rebuilt only when the value changes.
        """
        if clipnorm is not None:
            clipnorm = check_number(
                clipnorm,
                "clipnorm",
                "RatingModel.set_clipnorm",
                low=0,
                low_inclusive=False,
                fix="use a positive float or None",
            )
        self.hyper["clipnorm"] = clipnorm
        self._apply_clipnorm(clipnorm)
        return self

    def _apply_clipnorm(self, clipnorm: float | None) -> None:
        opt = self.keras_model.optimizer
        if opt.clipnorm != clipnorm:
            opt.clipnorm = clipnorm
            self.keras_model.train_function = None  # clipping is baked into the traced graph

    @property
    def trainable_variables(self) -> list[Any]:
        """The network's trainable Keras variables (e.g. for a ``tf.GradientTape``)."""
        return list(self.keras_model.trainable_variables)

    def get_trainable_weights(self) -> list[np.ndarray]:
        """The values of :attr:`trainable_variables` as NumPy arrays (copies)."""
        return [np.array(keras.ops.convert_to_numpy(v)) for v in self.trainable_variables]

    def set_weight_penalties(
        self: _T, penalties: Sequence[Callable[[Any], Any] | None] | None
    ) -> _T:
        """Add one extra penalty per trainable variable to the training loss; return self.

        ``penalties[k]`` is a function of the variable ``trainable_variables[k]``
        returning a scalar tensor (e.g. EWC's ``lam/2 * sum(F * (w - w*)^2)``),
        added to that variable's own regulariser; ``None`` entries add nothing
        and ``penalties=None`` removes every extra penalty.  The next training
        step rebuilds the graph.  A later :meth:`fit` (from scratch) drops them.
        """
        variables = self.trainable_variables
        if self._base_regularizers is None:
            self._base_regularizers = [v.regularizer for v in variables]
        extra = [None] * len(variables) if penalties is None else list(penalties)
        if len(extra) != len(variables):
            raise argument_error(
                "RatingModel.set_weight_penalties",
                "penalties",
                penalties,
                f"a list of one entry per trainable variable ({len(variables)}), got {len(extra)}",
                "use None for a variable without a penalty",
            )
        for v, base, fn in zip(variables, self._base_regularizers, extra, strict=True):
            v.regularizer = base if fn is None else _PlusPenalty(base, fn)
        self.keras_model.train_function = None
        return self


class _PlusPenalty(keras.regularizers.Regularizer):
    """A variable's own regulariser (or none) plus an extra penalty function.

    A ``keras.regularizers.Regularizer``: Keras 3.12 (Python 3.10's) accepts nothing else
    as a variable's ``regularizer``.
    """

    def __init__(self, base: Any, extra: Callable[[Any], Any]) -> None:
        self.base, self.extra = base, extra

    def __call__(self, w: Any) -> Any:
        value = self.extra(w)
        return value + self.base(w) if self.base is not None else value

    def get_config(self) -> dict[str, Any]:
        """Not serialisable: the penalty lives only while a strategy trains the model."""
        return {}
