"""The data a command reads: a file (``--data``) or a built-in dataset, and the columns it
uses (``--target``, ``--exog``, ``--id-column``), checked before any model is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tsforecast.core.errors import ConfigError

# pandas is imported inside the functions, so that `tsforecast --help` answers at once

__all__ = ["load_frame", "exog_columns"]


def load_frame(settings: dict[str, Any], preferred_target: str | None = None, allow_panel: bool = False):
    """The data, the target column and a human-readable description of where it came from.

    Without ``--target``, ``preferred_target`` is used when the data has such a column (a
    saved model's own column), else the file's only value column or the dataset's default.
    A bundled panel sets ``id_column`` when ``allow_panel`` (backtest), else is refused.
    """
    import pandas as pd

    from tsforecast.data.datasets import DATASET_ID_COLUMNS, DATASETS, default_target, load_csv, load_dataset

    # a hierarchy's grouping columns (store numbers too) are never the value column
    levels = [c.strip() for c in str(settings.get("hierarchy") or "").split(",") if c.strip()]
    if settings["data"]:
        path = Path(settings["data"])
        frame = load_csv(path, settings["date_column"], settings["date_format"], id_column=settings.get("id_column"),
                         sep=settings.get("sep"), decimal=settings.get("decimal"))
        _require_columns(frame, path.name, ("--hierarchy", levels))  # before guessing the value column among them
        target = settings["target"]
        if target is None and preferred_target in frame.columns:
            target = preferred_target
        if target is None:
            numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
                       and c != settings.get("id_column") and c not in levels]
            if frame.shape[1] == 1:
                numeric = list(frame.columns)  # the only column; validation checks its values
            if len(numeric) != 1:
                raise ConfigError(
                    f"{path.name} has several value columns ({', '.join(map(str, frame.columns))}); "
                    "choose one with --target."
                )
            target = numeric[0]
        where = path.name
    else:
        name = settings["dataset"]
        if name not in DATASETS:
            raise ConfigError(f"unknown dataset {name!r}; built-in datasets: {', '.join(DATASETS)}.")
        frame = load_dataset(name)
        if name in DATASET_ID_COLUMNS:
            if not allow_panel:
                raise ConfigError(f"built-in dataset {name!r} is a panel of many series; this command takes one. "
                                  "Fix: backtest it, or give one series with --data.")
            if not settings["id_column"]:
                settings["id_column"] = DATASET_ID_COLUMNS[name]  # a bundled panel names its series column
        target = settings["target"] or (preferred_target if preferred_target in frame.columns else default_target(name))
        where = f"built-in dataset {name}"
    id_column = [settings["id_column"]] if settings.get("id_column") else []
    # --hierarchy before --id-column: a backtest takes its last level as the id column when none is given
    _require_columns(frame, where, ("--target", [target]), ("--exog", exog_columns(settings)), ("--hierarchy", levels),
                     ("--id-column", id_column))
    return frame, target, f"{where} (column {target})"


def _require_columns(frame: Any, where: str, *given: tuple[str, list]) -> None:
    """A ConfigError naming the first option (and its columns) that ``frame`` lacks."""
    for option, columns in given:
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise ConfigError(
                f"{option} {', '.join(map(repr, absent))} is not a column of {where}; columns: "
                f"{', '.join(map(str, frame.columns))}."
            )


def exog_columns(settings: dict[str, Any]) -> list[str]:
    """The columns of ``--exog`` (none when not given)."""
    spec = settings.get("exog")
    return [c.strip() for c in str(spec).split(",") if c.strip()] if spec else []
