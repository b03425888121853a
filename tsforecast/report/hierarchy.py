"""The report's hierarchy section: MASE per level, each base model beside its reconciliations.

Shown only for a hierarchical backtest (:func:`tsforecast.backtest.hierarchical.backtest_hierarchy`);
a plain backtest has no ``metadata["hierarchy"]`` and the section is left out.

The levels are the table's columns (a hierarchy has a handful, a run may have dozens of
model/method labels: rows grow down the page, columns would run off it), each headed by its
grouping column's name and how many series it holds. The rows are the models, each base model
followed by its reconciliations with their change against it at every level."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tsforecast.backtest.hierarchical import level_accuracy

if TYPE_CHECKING:
    from tsforecast.backtest.result import BacktestResult

__all__ = ["hierarchy_section", "level_label", "change_text"]


def level_label(level: str) -> str:
    """A level's name as the report heads it: its own grouping column (``industry`` for the
    level ``sector/domain/supersector/industry``, whose key lists the columns above it too)."""
    return level.rsplit("/", 1)[-1]  # the keys join the columns with "/" (tsforecast.hierarchy.aggregate)


def _change(value: float, base: float) -> float | None:
    """The relative change of a reconciled MASE against its base model's (negative: better)."""
    if not (math.isfinite(value) and math.isfinite(base)) or base == 0:
        return None
    return value / base - 1.0


def change_text(change: float | None) -> str:
    """A change as the table writes it: ``-47%``, ``+1.2%`` (one decimal below 10%, where
    the rounding would hide it), ``±0%`` below 0.05%, empty where there is none."""
    if change is None:
        return ""
    if abs(change) < 0.0005:
        return "±0%"
    return f"{change:+.1%}" if abs(change) < 0.1 else f"{change:+.0%}"


def _not_reconciled(entries: list[dict]) -> list[dict]:
    """The not-reconciled entries with the same methods, cutoff and reason merged into one,
    naming every model they concern (three models' top-down quantiles make one sentence)."""
    merged: dict[tuple, dict] = {}
    for entry in entries:
        key = (entry["methods"], entry["cutoff"], entry["reason"])
        if key in merged:
            merged[key]["model"] += f", {entry['model']}"
        else:
            merged[key] = dict(entry)
    return list(merged.values())


def hierarchy_section(result: BacktestResult) -> dict | None:
    """The levels (label, number of series) as columns; the models as rows (models without a
    reconciliation first, then each base model followed by its reconciliations, each cell with
    its change against the base at that level); the lowest MASE per level marked; None for a
    result that is not a hierarchy's."""
    info = result.metadata.get("hierarchy")
    table = level_accuracy(result)
    if not info or table.empty:
        return None
    levels = [{"label": level_label(level), "key": level, "series": len(info["levels"][level])}
              for level in table.index]
    best = {level: table.loc[level].idxmin() if table.loc[level].notna().any() else None for level in table.index}
    specs = result.model_parameters
    base_of = {m: specs[m]["base"] for m in table.columns if "reconciliation" in specs.get(m, {})}
    bases = list(dict.fromkeys(base_of.values()))
    # models that are neither reconciled nor reconciled from (seasonal naive beside ets), then each base's group
    order = [m for m in table.columns if m not in base_of and m not in bases]
    for base in bases:
        order += [base, *(m for m in table.columns if base_of.get(m) == base)]
    rows = []
    for model in order:
        base = base_of.get(model)
        cells = []
        for level in table.index:
            value = float(table.at[level, model])
            change = _change(value, float(table.at[level, base])) if base in table.columns else None
            cells.append({"value": value, "best": model == best[level], "change": change,
                          "change_text": change_text(change)})
        rows.append({"model": model, "method": specs[model]["reconciliation"] if base else None,
                     "base": base, "cells": cells})
    return {"levels": levels, "rows": rows, "methods": info["methods"], "bases": bases,
            "not_reconciled": _not_reconciled(info.get("not_reconciled", []))}
