"""What every constraint family is given: the data and the index sets."""

from __future__ import annotations

from dataclasses import dataclass

from ..data import ModelData
from .index import ModelIndex


@dataclass(frozen=True)
class ModelContext:
    """The validated data and the sparse index sets decided from it."""

    data: ModelData
    index: ModelIndex
