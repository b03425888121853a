"""The report's hierarchy section: MASE per level, each base model beside its reconciliations.

Shown only for a hierarchical backtest (:func:`tsforecast.backtest.hierarchical.backtest_hierarchy`);
a plain backtest has no ``metadata["hierarchy"]`` and the section is left out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tsforecast.backtest.hierarchical import level_accuracy

if TYPE_CHECKING:
    from tsforecast.backtest.result import BacktestResult

__all__ = ["hierarchy_section"]


def hierarchy_section(result: BacktestResult) -> dict | None:
    """The levels (name, number of series), the models as columns (base models first, each
    followed by its reconciliations) and the MASE of each, with the best per level marked;
    None for a result that is not a hierarchy's."""
    info = result.metadata.get("hierarchy")
    table = level_accuracy(result)
    if not info or table.empty:
        return None
    rows = []
    for level, values in table.iterrows():
        best = values.idxmin() if values.notna().any() else None
        rows.append({"level": level, "series": len(info["levels"][level]),
                     "cells": [{"value": values[m], "best": m == best} for m in table.columns]})
    # base model -> its reconciled labels' methods, for the sentence under the table
    reconciled = {label: spec for label, spec in result.model_parameters.items() if "reconciliation" in spec}
    return {"models": list(table.columns), "rows": rows, "methods": info["methods"],
            "bases": sorted({spec["base"] for spec in reconciled.values()}),
            "not_reconciled": info.get("not_reconciled", [])}
