"""Reversible, vectorized per-column encoders and the TableEncoder that assembles them."""

from synthera.transforms.base import ColumnEncoder, Span
from synthera.transforms.categorical import FrequencyCategorical, OneHotCategorical
from synthera.transforms.categories import RARE_LABEL, CategoryCodec
from synthera.transforms.ids import IdEncoder
from synthera.transforms.numeric import ModeSpecificNumeric, NormalScoreNumeric
from synthera.transforms.options import FitOptions
from synthera.transforms.table import STYLES, Style, TableEncoder
from synthera.transforms.text import TextEncoder

__all__ = [
    "RARE_LABEL",
    "STYLES",
    "CategoryCodec",
    "ColumnEncoder",
    "FitOptions",
    "FrequencyCategorical",
    "IdEncoder",
    "ModeSpecificNumeric",
    "NormalScoreNumeric",
    "OneHotCategorical",
    "Span",
    "Style",
    "TableEncoder",
    "TextEncoder",
]
