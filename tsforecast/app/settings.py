"""The options of the ``tsforecast`` commands, each declared once.

One :class:`Option` per option holds everything about it: its name (also its TOML key), its
default, the check every value passes, its help text, the commands that take it and how the
command line spells it. From these declarations come the TOML keys a config file may hold
(:data:`OPTIONS`), the defaults (:data:`DEFAULTS`; those the Python API shares live in
:mod:`tsforecast.core.defaults`), the checks, and the Typer parameters of every command
(:mod:`tsforecast.app.flags`).

A run's settings come from three layers, later ones winning: the defaults, a TOML config
file (``--config``), the command line. Every value, wherever it came from, passes the same
check before any data is read, so ``jobs = "2"`` in a config file and ``--jobs 0`` on the
command line fail alike: a :class:`~tsforecast.core.errors.ConfigError` naming the option
(CLI exit code 2), not an error deep inside the run.

The declarations are frozen dataclasses (standard library) rather than pydantic or attrs
models: the values need checks with the library's own messages (``jobs = "2"`` is refused,
not coerced to 2 as pydantic would), no new dependency is worth that, and a dataclass per
option reads as the table it is.
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsforecast.app import checks
from tsforecast.app.checks import parse_refit
from tsforecast.core import defaults
from tsforecast.core.errors import ConfigError

__all__ = ["Option", "DECLARED", "OPTIONS", "DEFAULTS", "CONFIG", "resolve_settings", "merge_settings", "read_config",
           "parse_refit", "parse_params", "renamed"]

BACKTEST, FIT, FORECAST, MONITOR = "backtest", "fit", "forecast", "monitor"
_ALL = frozenset({BACKTEST, FIT, FORECAST})
_READS = _ALL | {MONITOR}  # the commands that read a data file (monitor: the actuals)


def parse_params(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``--param MODEL.NAME=VALUE`` options as ``model_params`` tables. The value is read as a
    TOML value, as a config file would write it (``inf``, ``60``, ``true``, ``["ets", "theta"]``);
    anything that is not one is kept as text (``lstm.normalize=window``)."""
    params: dict[str, dict[str, Any]] = {}
    for item in items:
        key, equals, raw = item.partition("=")
        model, dot, name = key.strip().partition(".")
        if not (equals and dot and model and name.strip() and raw.strip()):
            raise ConfigError(f"--param {item!r}: write MODEL.NAME=VALUE, e.g. --param auto.time_budget=inf.")
        try:
            parsed = tomllib.loads(f"value = {raw.strip()}")
        except tomllib.TOMLDecodeError:
            parsed = {}
        # one TOML value, or else the text as given (a value with a line break in it is text too)
        value = parsed["value"] if set(parsed) == {"value"} else raw.strip()
        params.setdefault(model.strip().lower(), {})[name.strip()] = value
    return params


def _params_from_cli(items: Sequence[str] | None) -> dict[str, dict[str, Any]] | None:
    """``--param`` items as ``model_params`` tables; None when none was given."""
    return parse_params(items or []) or None


def _holiday_code(name: str, value: object) -> str:
    """A holiday calendar the ``holidays`` package has (``US``, ``US-IL``), as its code."""
    from tsforecast.data.calendar import parse_holidays

    return parse_holidays(checks.text(name, value)).code


@dataclass(frozen=True)
class Option:
    """One option of the ``tsforecast`` commands.

    ``help`` may hold ``{default}``, replaced by the default as a config file writes it; a
    mapping gives the help per command where the option means something slightly different
    there. ``flag`` is the command line's spelling (default ``--name-with-dashes``), or one per
    command; ``from_cli`` turns what Typer parsed into the setting's value. ``formerly`` is an
    older name still accepted, as a flag and as a TOML key, with a deprecation warning naming
    the new one. ``in_config`` is False for the one option that is no TOML key (``config``).
    """

    name: str
    default: Any
    check: checks.Check
    help: str | Mapping[str, str]
    commands: frozenset[str]
    cli_type: Any = str
    flag: str | Mapping[str, str] | None = None
    short: str | None = None
    metavar: str | None = None
    from_cli: Callable[[Any], Any] | None = None
    formerly: str | None = None
    in_config: bool = True

    def flag_for(self, command: str) -> str:
        """How ``command`` spells this option on the command line."""
        if isinstance(self.flag, Mapping):
            return self.flag[command]
        return self.flag or f"--{checks.label(self.name)}"

    def help_for(self, command: str) -> str:
        """The help text of this option in ``command``, its default filled in."""
        text = self.help[command] if isinstance(self.help, Mapping) else self.help
        shown = str(self.default).lower() if isinstance(self.default, bool) else str(self.default)
        return text.replace("{default}", shown)


def _per(text: str, **by_command: str) -> dict[str, str]:
    """The same help in every command but those given."""
    return {command: by_command.get(command, text) for command in _READS}


_DEFAULT_HELP = "[default: {default}]"
_RUN_FOLDER = "Fixed name of the run's folder (a rerun replaces it); default: {}"
_ROLLING = "With --from: "

#: every option, in the order the commands' help lists them
DECLARED: tuple[Option, ...] = (
    Option("models", "sarima,lstm", checks.names, f"Comma-separated model names (see `tsforecast models`). "
           f"{_DEFAULT_HELP}", frozenset({BACKTEST})),
    Option("model", "sarima", checks.model_name, f"Model name (see `tsforecast models`). {_DEFAULT_HELP}",
           frozenset({FIT, FORECAST})),
    Option("model_file", None, checks.text, {
        FIT: "Where to write the fitted model (a .tsf file: safetensors and JSON, no pickle). Required.",
        FORECAST: "A model saved by `tsforecast fit`: forecast from it instead of fitting. With --data, the "
        "observations newer than the model's are appended first (no refit)."},
        frozenset({FIT, FORECAST}), cli_type=Path, flag={FIT: "--save", FORECAST: "--from"}),
    Option("dataset", "ridership", checks.text, _per(
        f"Built-in dataset when --data is not given. {_DEFAULT_HELP}",
        forecast="Built-in dataset when --data is not given. [default: {default}; none with --from]"), _ALL),
    Option("data", None, checks.existing_file, _per(
        "A CSV or Parquet file with a date column.",
        monitor="The actuals: a CSV or Parquet file with a date column (and --id-column for many series). Required."),
           _READS, cli_type=Path),
    Option("target", None, checks.text, {
        BACKTEST: "Column to forecast. [default: rail for ridership; the only value column of a file]",
        FIT: "Column to forecast.",
        FORECAST: "Column to forecast. [default: with --from, the column the model was fitted on]",
        MONITOR: "Column holding the actual values. [default: the file's only value column]"}, _READS),
    Option("date_column", None, checks.text,
           "Column holding the dates. [default: the first column that reads as dates]", _READS),
    Option("date_format", None, checks.text, "strftime format of the dates, e.g. %d/%m/%Y. [default: the first "
           "date's format, month-first or day-first, whichever reads every date]", _READS),
    # a CSV's separator and decimal mark (tsforecast.data.csv_dialect); detected when not given
    Option("sep", None, checks.separator,
           "Field separator of the CSV, e.g. ';' or tab. [default: detected among , ; tab |]", _READS),
    Option("decimal", None, checks.decimal_mark, "Decimal mark of the CSV's numbers, . or , [default: detected "
           "(, in a file not separated by commas)]", _READS),
    Option("id_column", None, checks.text, {
        BACKTEST: "Long format: the column naming each row's series (one row per series and date); every series "
        "is backtested on folds cut from its own end.",
        MONITOR: "Long format: the column naming each actual's series (the series ids the forecasts were stored "
        "under)."}, frozenset({BACKTEST, MONITOR})),
    # hierarchies (#28): the aggregates are built, every series forecast, the forecasts reconciled
    Option("hierarchy", None, checks.names, "Grouping columns from the top level down, e.g. region,store: the "
           "total, each group and each series are forecast and the forecasts reconciled so they add up "
           "(every fold refitted). The bottom series: --id-column, else the last column.", frozenset({BACKTEST})),
    Option("reconcile", None, checks.names, "With --hierarchy: comma-separated reconciliation methods among "
           "bottom_up, top_down, top_down_hist, mint_ols, mint_wls, mint_shrink. [default: all]",
           frozenset({BACKTEST})),
    Option("hierarchy_missing", "error", checks.text, "With --hierarchy: a bottom series without a value at "
           f"some dates is an error, or zero (filled with 0). {_DEFAULT_HELP}", frozenset({BACKTEST})),
    Option("horizon", defaults.HORIZON, checks.horizon, _per(
        f"Steps forecast from each cutoff; all are scored. {_DEFAULT_HELP}",
        forecast=f"Steps to forecast. {_DEFAULT_HELP}"), frozenset({BACKTEST, FORECAST}), cli_type=int),
    # not --windows: a model's training window is --window (the old spelling still works, with a warning)
    Option("folds", defaults.FOLDS, checks.integer(1), f"Number of folds (cutoffs; formerly --windows). "
           f"{_DEFAULT_HELP}", frozenset({BACKTEST}), cli_type=int, formerly="windows"),
    Option("step", None, checks.integer(1), "Observations between cutoffs. [default: the horizon]",
           frozenset({BACKTEST}), cli_type=int),
    Option("window", None, checks.integer(1), "Sliding training window size; omit for an expanding window.",
           frozenset({BACKTEST}), cli_type=int),
    Option("exog", None, checks.names, _per(
        "Comma-separated columns given to the models that take regressors, as values known in advance for the "
        "forecast days too (e.g. day_type; not bus).",
        forecast="Comma-separated columns given to the model as regressors known in advance; their values for the "
        "horizon come from --future or the data's rows after its last observation (e.g. day_type; not bus)."),
        _ALL),
    # known-future inputs and holiday calendars (tsforecast.data.calendar, tsforecast.app.inputs)
    Option("future", None, checks.existing_file, "A CSV or Parquet file (dates as in --data) with the regressors "
           "of the forecast horizon: the model's --exog columns, one row per forecast timestamp. [default: the "
           "rows of --data after its last observation]", frozenset({FORECAST}), cli_type=Path),
    Option("holidays", None, _holiday_code, "Public holidays of a country (US) or subdivision (US-IL, DE-BY) as "
           "regressors known in advance: a holiday indicator column for the models that take regressors. "
           "`tsforecast holidays` lists the codes.", _ALL, metavar="CC[-SUBDIV]"),
    # measured (benchmarks/holiday_calendars.py): the days around holidays help the neural models, not SARIMA
    Option("holiday_days_around", False, checks.boolean, "With --holidays: also the day before and the day after "
           "each holiday as columns (measured to help the neural models, not SARIMA).", _ALL, cli_type=bool),
    Option("refit", defaults.REFIT, parse_refit, "true (refit every fold), false (roll forward), or N (refit "
           f"every N folds). {_DEFAULT_HELP}", frozenset({BACKTEST})),
    Option("coverage", defaults.COVERAGE, checks.coverage, {
        FORECAST: f"Prediction interval coverage. {_DEFAULT_HELP}",
        MONITOR: "The interval scored for coverage where a stored forecast kept several (else the widest it "
        f"kept). {_DEFAULT_HELP}"}, frozenset({FORECAST, MONITOR}), cli_type=float),
    Option("seed", defaults.SEED, checks.seed, _per(
        f"Seed for models that have one. {_DEFAULT_HELP}",
        backtest=f"Seed for every model that has one. {_DEFAULT_HELP}"), _ALL, cli_type=int),
    Option("jobs", defaults.JOBS, checks.jobs, "Worker processes (-1: all cores); never more than the cores or "
           f"the work. {_DEFAULT_HELP}", frozenset({BACKTEST}), cli_type=int),
    Option("time_limit", None, checks.seconds, "Seconds one fit may take before it counts as a failure.",
           frozenset({BACKTEST}), cli_type=float),
    Option("engine", defaults.ENGINE, checks.engine, "local (this machine, --jobs workers) or dask (a Dask "
           f"cluster; pip install \"tsforecast[dask]\"). {_DEFAULT_HELP}", frozenset({BACKTEST})),
    Option("scheduler", None, checks.text, "With --engine dask: the address of a running Dask scheduler, e.g. "
           "tcp://10.0.0.5:8786. [default: a local cluster of --jobs workers]", frozenset({BACKTEST})),
    Option("output", "reports", checks.text, f"Directory in which the run's folder is written. {_DEFAULT_HELP}",
           frozenset({BACKTEST, FORECAST, MONITOR}), cli_type=Path),
    Option("store", None, checks.text, _per(
        "Record the run in a forecast store: a SQLite file (created on the first write) or a database URL, e.g. "
        "postgresql+psycopg://user@host/db; checked before any work. [default: $TSFORECAST_STORE, else none]",
        monitor="The forecast store whose forecasts are scored (a SQLite file or a database URL); the scores "
        "are recorded in it. [default: $TSFORECAST_STORE] Required."),
           frozenset({BACKTEST, FORECAST, MONITOR}), metavar="PATH_OR_URL"),
    Option("name", None, checks.stem, _per(_RUN_FOLDER.format("a name unique to the run."),
                                           forecast=_RUN_FOLDER.format("unique to the run.")),
           frozenset({BACKTEST, FORECAST, MONITOR})),
    Option("model_params", {}, checks.model_params, "A model parameter, MODEL.NAME=VALUE (repeatable), e.g. "
           "auto.time_budget=inf or lstm.hidden=64; the value as TOML writes it. Wins over the config file's "
           "[model_params.<model>].", _ALL, cli_type=list[str], flag="--param", metavar="MODEL.NAME=VALUE",
           from_cli=_params_from_cli),
    # the config file itself: a command-line option only
    Option("config", None, checks.text, _per(
        "TOML file with any of these options and a [model_params.<model>] table.",
        backtest="TOML file with any of these options and [model_params.<model>] tables.",
        forecast="TOML file with any of these options and a [model_params.<model>] table. With model_file set, "
        "forecasts from that saved model.", monitor="TOML file with any of these options."), _READS, cli_type=Path,
           in_config=False),
    Option("quiet", False, checks.boolean, "No progress bar or summary.", _READS, cli_type=bool, short="-q"),
    # forecast --from (tsforecast.app.continuation): no newer rows is an error (exit 5), not a warning;
    # a gap after the model's last timestamp is interpolated; a far-off level is accepted
    Option("require_new_data", False, checks.boolean, _ROLLING + "data without an observation newer than the "
           "model's is an error, exit code 5 and nothing written (default: a warning, and the previous forecast "
           "again).", frozenset({FORECAST}), cli_type=bool),
    Option("fill_gap", False, checks.boolean, _ROLLING + "fill missing values after the model's last timestamp "
           "by linear interpolation, with a warning (default: refused).", frozenset({FORECAST}), cli_type=bool),
    # forecast --from --store: refit the saved model when the store holds an alarm newer than its training data
    Option("refit_on_drift", False, checks.boolean, _ROLLING + "when the forecast store (--store) holds a drift "
           "alarm for the saved model's model and series raised after its training data ended (by `tsforecast "
           "monitor`), refit the model on all the data, save it over --from, then forecast.",
           frozenset({FORECAST}), cli_type=bool),
    Option("allow_level_shift", False, checks.boolean, _ROLLING + "accept new values far off the history's level "
           "(default: refused as another series, e.g. more than 20 times the recent level).",
           frozenset({FORECAST}), cli_type=bool),
)

#: option name (= TOML key) -> its declaration (command line > config file > defaults)
OPTIONS: dict[str, Option] = {option.name: option for option in DECLARED if option.in_config}

#: the ``--config`` option: where a run's TOML file is
CONFIG: Option = next(option for option in DECLARED if option.name == "config")

#: option name -> default
DEFAULTS: dict[str, Any] = {name: option.default for name, option in OPTIONS.items()}

#: an option's former name -> the option (accepted with a deprecation warning)
_FORMER: dict[str, Option] = {option.formerly: option for option in OPTIONS.values() if option.formerly}


def renamed(values: dict[str, Any], former: dict[str, Any], where: str, spell: Mapping[str, str]) -> dict[str, Any]:
    """``values`` with each value given under an option's former name moved to the new name,
    with a :class:`FutureWarning` (an end user's deprecation, shown by default) that names the
    new spelling. ``former`` maps former names to values (None: not given); ``spell`` shows a
    name as the source writes it (``--folds``, ``folds``); ``where`` starts the messages (the
    config file). Both spellings given is a mistake."""
    values = dict(values)
    for old, value in former.items():
        if value is None:
            continue
        new = _FORMER[old].name
        if values.get(new) is not None:
            raise ConfigError(f"{where}{spell[new]} and {spell[old]} are the same option ({spell[old]} is its "
                              f"former name); give only {spell[new]}.")
        warnings.warn(f"{where}{spell[old]} is deprecated; use {spell[new]} (same meaning).", FutureWarning,
                      stacklevel=2)
        values[new] = value
    return values


def _merge_model_params(base: object, extra: dict[str, dict[str, Any]]) -> object:
    """The config file's ``model_params`` with the command line's on top, parameter by
    parameter (a config's other parameters of the same model stay)."""
    if not isinstance(base, dict):
        return base  # left for the check to refuse
    merged = dict(base)
    for model, params in extra.items():
        merged[model] = {**base[model], **params} if isinstance(base.get(model), dict) else params
    return merged


def read_config(path: Path) -> dict[str, Any]:
    """The options in a TOML config file, unchecked (a former key under its new name, with a
    deprecation warning); a ConfigError if it cannot be read or holds an unknown key."""
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        config = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror or exc}.") from exc
    unknown = sorted(set(config) - set(OPTIONS) - set(_FORMER))
    if unknown:
        raise ConfigError(
            f"config file {path} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(OPTIONS))}."
        )
    former = {old: config.pop(old) for old in _FORMER if old in config}
    config = renamed(config, former, f"config file {path}: ", {key: key for key in [*OPTIONS, *_FORMER]})
    for key in ("data", "model_file", "future", "store"):
        value = config.get(key)
        if isinstance(value, str) and value and "://" not in value and not Path(value).is_absolute():
            config[key] = str(path.parent / value)  # relative to the config file, not the cwd (a URL is no path)
    return config


def resolve_settings(cli: dict[str, Any], config_path: Path | None = None) -> dict[str, Any]:
    """Defaults, then the config file, then the command line (values that are not None);
    every value checked. Returns every option."""
    return merge_settings(cli, read_config(config_path) if config_path is not None else {})


def merge_settings(cli: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """:func:`resolve_settings` on a config file already read (:func:`read_config`)."""
    merged = {**DEFAULTS, **config, **{k: v for k, v in cli.items() if v is not None}}
    if cli.get("model_params") and "model_params" in config:
        merged["model_params"] = _merge_model_params(config["model_params"], cli["model_params"])
    return {
        name: value if value is None else OPTIONS[name].check(name, value)
        for name, value in merged.items()
    }
