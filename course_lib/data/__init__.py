"""Chapter 05: the shop simulator and its files, MovieLens, streams of batches and feature tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .errors import DatasetError
    from .features import HIDDEN_COLUMN_HINTS, FeatureTable, IdEncoder, default_feature_columns
    from .movielens import ML100K_MD5, ML100K_URL, default_cache_dir, load_movielens_100k
    from .movielens_files import ML100K_GENRES, read_movielens_folder
    from .shop import simulate
    from .shop_config import (
        BASE_CATEGORY_SHARE,
        CATEGORIES,
        DEFAULT_SEED,
        EDUCATION_LEVELS,
        REGIONS,
        SCENARIOS,
        START_DATE,
        ShopConfig,
        make_config,
    )
    from .shop_files import DATA_DIR, SHOP_FILES, load_shop
    from .shop_save import save_shop
    from .shop_world import ShopData, ShopTruth, expected_rating_from_mu, views_from_interactions
    from .standardizer import Standardizer
    from .stream import ensure_time_order, iter_batches, split_by_day, split_by_fraction

_EXPORTS = {
    "DatasetError": ".errors",
    "HIDDEN_COLUMN_HINTS": ".features",
    "FeatureTable": ".features",
    "IdEncoder": ".features",
    "default_feature_columns": ".features",
    "ML100K_MD5": ".movielens",
    "ML100K_URL": ".movielens",
    "default_cache_dir": ".movielens",
    "load_movielens_100k": ".movielens",
    "ML100K_GENRES": ".movielens_files",
    "read_movielens_folder": ".movielens_files",
    "simulate": ".shop",
    "BASE_CATEGORY_SHARE": ".shop_config",
    "CATEGORIES": ".shop_config",
    "DEFAULT_SEED": ".shop_config",
    "EDUCATION_LEVELS": ".shop_config",
    "REGIONS": ".shop_config",
    "SCENARIOS": ".shop_config",
    "START_DATE": ".shop_config",
    "ShopConfig": ".shop_config",
    "make_config": ".shop_config",
    "DATA_DIR": ".shop_files",
    "SHOP_FILES": ".shop_files",
    "load_shop": ".shop_files",
    "save_shop": ".shop_save",
    "ShopData": ".shop_world",
    "ShopTruth": ".shop_world",
    "expected_rating_from_mu": ".shop_world",
    "views_from_interactions": ".shop_world",
    "Standardizer": ".standardizer",
    "ensure_time_order": ".stream",
    "iter_batches": ".stream",
    "split_by_day": ".stream",
    "split_by_fraction": ".stream",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
