"""Rating and purchase models: baselines, one matrix factorisation (ALS or SGD) and the Keras models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .baselines import BiasBaseline, GlobalMean
    from .batches import ShuffledBatches
    from .mf import MatrixFactorization
    from .networks import TableL2, build_feature_mlp, build_purchase_model, build_rating_network
    from .rating_model import RATING_MAX, RATING_MIN, RATINGS_COLUMNS, RatingModel

_EXPORTS = {
    "BiasBaseline": ".baselines",
    "GlobalMean": ".baselines",
    "ShuffledBatches": ".batches",
    "MatrixFactorization": ".mf",
    "TableL2": ".networks",
    "build_feature_mlp": ".networks",
    "build_purchase_model": ".networks",
    "build_rating_network": ".networks",
    "RATING_MAX": ".rating_model",
    "RATING_MIN": ".rating_model",
    "RATINGS_COLUMNS": ".rating_model",
    "RatingModel": ".rating_model",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
