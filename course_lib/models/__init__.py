"""Rating and purchase models: baselines, one matrix factorisation (ALS or SGD) and the Keras models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .baselines import (BiasBaseline, BiasedMF, GlobalMean, rmse_of)  # noqa: F401
    from .mf import (IncrementalMF)  # noqa: F401
    from .neural import (RATINGS_COLUMNS, RATING_MAX, RATING_MIN, RatingModel, ShuffledBatches, TableL2, build_purchase_model, build_rating_network, build_seed_mlp)  # noqa: F401

_EXPORTS = {
    "BiasBaseline": ".baselines",
    "BiasedMF": ".baselines",
    "GlobalMean": ".baselines",
    "rmse_of": ".baselines",
    "IncrementalMF": ".mf",
    "RATINGS_COLUMNS": ".neural",
    "RATING_MAX": ".neural",
    "RATING_MIN": ".neural",
    "RatingModel": ".neural",
    "ShuffledBatches": ".neural",
    "TableL2": ".neural",
    "build_purchase_model": ".neural",
    "build_rating_network": ".neural",
    "build_seed_mlp": ".neural",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
