"""The shop simulator, the loaders of its files and of MovieLens, streams of batches, and feature tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .datasets import (DATA_DIR, DatasetError, ML100K_MD5, ML100K_URL, SHOP_FILES, default_cache_dir, load_movielens_100k, load_shop, read_movielens_folder, save_shop)  # noqa: F401
    from .features import (FeatureTable, HIDDEN_COLUMN_HINTS, IdEncoder, Standardizer, default_feature_columns)  # noqa: F401
    from .shop import (BASE_CATEGORY_SHARE, CATEGORIES, DEFAULT_SEED, EDUCATION_LEVELS, REGIONS, SCENARIOS, START_DATE, ShopConfig, ShopData, ShopTruth, expected_rating_from_mu, main, make_config, simulate, views_from_interactions)  # noqa: F401
    from .stream import (ensure_time_order, iter_batches, split_by_day, split_by_fraction)  # noqa: F401

_EXPORTS = {
    "DATA_DIR": ".datasets",
    "DatasetError": ".datasets",
    "ML100K_MD5": ".datasets",
    "ML100K_URL": ".datasets",
    "SHOP_FILES": ".datasets",
    "default_cache_dir": ".datasets",
    "load_movielens_100k": ".datasets",
    "load_shop": ".datasets",
    "read_movielens_folder": ".datasets",
    "save_shop": ".datasets",
    "FeatureTable": ".features",
    "HIDDEN_COLUMN_HINTS": ".features",
    "IdEncoder": ".features",
    "Standardizer": ".features",
    "default_feature_columns": ".features",
    "BASE_CATEGORY_SHARE": ".shop",
    "CATEGORIES": ".shop",
    "DEFAULT_SEED": ".shop",
    "EDUCATION_LEVELS": ".shop",
    "REGIONS": ".shop",
    "SCENARIOS": ".shop",
    "START_DATE": ".shop",
    "ShopConfig": ".shop",
    "ShopData": ".shop",
    "ShopTruth": ".shop",
    "expected_rating_from_mu": ".shop",
    "main": ".shop",
    "make_config": ".shop",
    "simulate": ".shop",
    "views_from_interactions": ".shop",
    "ensure_time_order": ".stream",
    "iter_batches": ".stream",
    "split_by_day": ".stream",
    "split_by_fraction": ".stream",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
