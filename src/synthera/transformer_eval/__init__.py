"""Transformer evaluation: BERT-family classifiers fine-tuned on real vs synthetic rows.

Needs the `synthera[transformers]` extra; nothing here imports Hugging Face transformers
until a model is loaded, so `import synthera.transformer_eval` stays cheap.
"""

from synthera.transformer_eval.evaluate import (
    TransformerEvaluator,
    TransformerOptions,
    evaluate_transformers,
)
from synthera.transformer_eval.finetune import FinetuneSettings
from synthera.transformer_eval.result import TransformerEvaluation
from synthera.transformer_eval.rows_as_text import TextFormat, rows_as_text

__all__ = [
    "FinetuneSettings",
    "TextFormat",
    "TransformerEvaluation",
    "TransformerEvaluator",
    "TransformerOptions",
    "evaluate_transformers",
    "rows_as_text",
]
