"""What a private fit spent, part by part, and what it treated as public.

The ledger is saved in `model.json` and shown in every report, so a reader sees exactly
what the ε covers. Parts compose by basic composition (ε and δ add up): loose but
always valid, whatever mechanisms the parts use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from synthera.errors import ParameterError


@dataclass(frozen=True)
class BudgetPart:
    """One mechanism that read the real rows: e.g. "category sets" by a noisy threshold,
    "training" by DP-SGD. `mechanism` says how, in words a reviewer can check."""

    name: str
    epsilon: float
    delta: float
    mechanism: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "epsilon": self.epsilon,
            "delta": self.delta,
            "mechanism": self.mechanism,
        }


@dataclass(frozen=True)
class PrivacyLedger:
    epsilon_target: float
    delta_target: float
    accountant: str
    parts: tuple[BudgetPart, ...]
    public: tuple[str, ...] = field(default=())  # what was used without paying for it

    @property
    def epsilon_spent(self) -> float:
        return float(sum(part.epsilon for part in self.parts))

    @property
    def delta_spent(self) -> float:
        return float(sum(part.delta for part in self.parts))

    def check_within_target(self) -> None:
        """A model must never spend more than it was asked to (a small float tolerance)."""
        if self.epsilon_spent > self.epsilon_target * (1 + 1e-9) or (
            self.delta_spent > self.delta_target * (1 + 1e-9)
        ):
            raise ParameterError(
                f"privacy accounting error: spent (ε={self.epsilon_spent:.4g}, "
                f"δ={self.delta_spent:.3g}) exceeds the target (ε={self.epsilon_target:g}, "
                f"δ={self.delta_target:.3g})"
            )

    def summary(self) -> str:
        return (
            f"(ε={self.epsilon_spent:.3g}, δ={self.delta_spent:.2g})-differentially private "
            f"(target ε={self.epsilon_target:g}; {self.accountant} accountant)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "epsilon_target": self.epsilon_target,
            "delta_target": self.delta_target,
            "epsilon_spent": self.epsilon_spent,
            "delta_spent": self.delta_spent,
            "accountant": self.accountant,
            "parts": [part.to_dict() for part in self.parts],
            "public": list(self.public),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PrivacyLedger:
        return cls(
            epsilon_target=float(data["epsilon_target"]),
            delta_target=float(data["delta_target"]),
            accountant=str(data["accountant"]),
            parts=tuple(
                BudgetPart(
                    str(p["name"]), float(p["epsilon"]), float(p["delta"]), str(p["mechanism"])
                )
                for p in data["parts"]
            ),
            public=tuple(str(item) for item in data.get("public", [])),
        )
