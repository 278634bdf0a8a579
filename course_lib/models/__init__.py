"""Rating and purchase models: baselines, one matrix factorisation (ALS or SGD) and the Keras models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .baselines import (BiasBaseline, GlobalMean)  # noqa: F401
    from .batches import (ShuffledBatches)  # noqa: F401
    from .mf import (MatrixFactorization)  # noqa: F401
    from .networks import (TableL2, build_feature_mlp, build_purchase_model, build_rating_network)  # noqa: F401
    from .rating_model import (RATINGS_COLUMNS, RATING_MAX, RATING_MIN, RatingModel)  # noqa: F401

_EXPORTS = {
    "BiasBaseline": ".baselines",
    "GlobalMean": ".baselines",
    "ShuffledBatches": ".batches",
    "MatrixFactorization": ".mf",
    "TableL2": ".networks",
    "build_feature_mlp": ".networks",
    "build_purchase_model": ".networks",
    "build_rating_network": ".networks",
    "RATINGS_COLUMNS": ".rating_model",
    "RATING_MAX": ".rating_model",
    "RATING_MIN": ".rating_model",
    "RatingModel": ".rating_model",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
