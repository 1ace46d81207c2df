"""Reports: the evaluation results as JSON, a self-contained HTML page, and comparisons."""

from synthera.report.report import Comparison, FamilyScore, Report

__all__ = ["Comparison", "FamilyScore", "Report"]
