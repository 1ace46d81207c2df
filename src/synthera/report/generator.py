"""What produced a synthetic table, when the caller knows: the model and its privacy
guarantee, so that every report states what the generator's ε covers.

A report of a table from an unknown source (a CSV made by another tool) carries none of
this and says nothing about it; a report of a model trained without differential
privacy says so plainly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthera.errors import ModelFileError
from synthera.privacy.ledger import PrivacyLedger

if TYPE_CHECKING:
    from synthera.models.base import Synthesizer


@dataclass(frozen=True)
class GeneratorInfo:
    """The generator of a synthetic table: its model name (None when not known) and the
    ledger of its private fit (None: trained without differential privacy)."""

    model: str | None = None
    privacy: PrivacyLedger | None = None

    @classmethod
    def of(cls, synthesizer: Synthesizer) -> GeneratorInfo:
        """The facts of a fitted synthesizer."""
        return cls(synthesizer.name, synthesizer.privacy_)

    @classmethod
    def from_model_dir(cls, directory: str | Path) -> GeneratorInfo:
        """The facts of a saved model, read from its verified `model.json` alone (the
        weights are not loaded)."""
        from synthera.models.persistence import read_model_header

        header = read_model_header(directory)
        try:
            # A model saved before private fits existed has no "privacy": it was not private.
            return cls.from_dict(
                {"generator": header.get("model"), "privacy": header.get("privacy")}
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{directory} holds an unreadable privacy ledger: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """The two entries a report's JSON gains: "generator" (the model name) and
        "privacy" (the ledger, or null: not differentially private)."""
        return {
            "generator": self.model,
            "privacy": None if self.privacy is None else self.privacy.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GeneratorInfo:
        ledger = data.get("privacy")
        model = data.get("generator")
        return cls(
            None if model is None else str(model),
            None if ledger is None else PrivacyLedger.from_dict(ledger),
        )

    @classmethod
    def in_report(cls, data: Mapping[str, Any]) -> GeneratorInfo | None:
        """The generator a report's JSON states, or None where it states nothing."""
        return cls.from_dict(data) if "privacy" in data else None
