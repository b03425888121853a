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
    the rounding would hide it), ``±0%`` below 0.05%, a factor from twice as large on
    (``×12.4``, not ``+1139%``), empty where there is none."""
    if change is None:
        return ""
    if abs(change) < 0.0005:
        return "±0%"
    if change >= 1.0:
        return f"×{1.0 + change:.1f}"
    return f"{change:+.1%}" if abs(change) < 0.1 else f"{change:+.0%}"


def _not_reconciled(entries: list[dict]) -> list[dict]:
    """The not-reconciled entries with the same cutoff and reason merged into one, naming
    every method and model they concern (both top-down methods' quantiles for three models
    make one sentence, not six)."""
    merged: dict[tuple, dict] = {}
    for entry in entries:
        key = (entry["cutoff"], entry["reason"])
        group = merged.setdefault(key, {"cutoff": entry["cutoff"], "reason": entry["reason"], "methods": {},
                                        "models": {}})
        group["methods"][entry["methods"]] = None  # dicts as ordered sets: first seen, first listed
        group["models"][entry["model"]] = None
    return [{**group, "methods": _and(list(group["methods"])), "model": ", ".join(group["models"])}
            for group in merged.values()]


def _and(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``; a shared last word once (``top_down and
    top_down_hist quantiles``)."""
    words = [name.rsplit(" ", 1) for name in names]
    tail = words[0][1] if all(len(w) == 2 and w[1] == words[0][1] for w in words) and len(names) > 1 else None
    heads = [w[0] for w in words] if tail else names
    text = heads[0] if len(heads) == 1 else f"{', '.join(heads[:-1])} and {heads[-1]}"
    return f"{text} {tail}" if tail else text


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
    # every model at a level's lowest is marked (bottom-up's bottom level equals its base's)
    lowest = table.min(axis=1, skipna=True)
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
            best = math.isfinite(value) and value <= lowest[level] * (1 + 1e-12)
            cells.append({"value": value, "best": bool(best), "change": change,
                          "change_text": change_text(change)})
        rows.append({"model": model, "method": specs[model]["reconciliation"] if base else None,
                     "base": base, "cells": cells})
    return {"levels": levels, "rows": rows, "methods": info["methods"], "bases": bases,
            "not_reconciled": _not_reconciled(info.get("not_reconciled", []))}
