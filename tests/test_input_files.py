"""Reading the user's files (issue 24): ids stay text, the date column is found among the
others, a European spreadsheet export reads as written, and --sep / --decimal override."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tsforecast.app.cli import EXIT_USAGE, app
from tsforecast.backtest import backtest
from tsforecast.core.errors import DataError
from tsforecast.data.csv_dialect import sniff_dialect
from tsforecast.data.datasets import load_csv
from tsforecast.data.series_ids import check_distinct_ids, ids_as_text

from .conftest import weekly_series

runner = CliRunner()
FAST = ["--models", "naive", "--horizon", "7", "--folds", "2", "--quiet"]


def one_line_usage_error(result) -> str:
    """The single ``error:`` line of a refused command (exit 2)."""
    assert result.exit_code == EXIT_USAGE, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return " ".join(result.output.split())


def store(name: str, start: str, n: int, seed: int = 0) -> pd.DataFrame:
    y = weekly_series(n, start=start, seed=seed)
    return pd.DataFrame({"store": name, "date": y.index.strftime("%Y-%m-%d"), "sales": y.to_numpy().round(2)})


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


# ------------------------------------------------------------------ 1. ids are text


def test_store_007_and_store_7_are_refused_by_name_not_merged(tmp_path):
    """The probe's file: 007 in January-February, 7 in March-April; read as numbers they were
    one 120-day series, exit 0."""
    path = write(pd.concat([store("007", "2024-01-01", 60), store("7", "2024-03-01", 61)]), tmp_path / "ids.csv")
    frame = load_csv(path, id_column="store")
    assert set(frame["store"]) == {"007", "7"}  # text, as written
    with pytest.raises(DataError, match="'007' and '7'"):
        backtest(frame.reset_index(), ["naive"], horizon=7, n_windows=2, id_col="store", time_col="date",
                 target_col="sales")
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--id-column", "store", "--output", str(out)])
    assert "'007' and '7'" in one_line_usage_error(result)
    assert not out.exists()


@pytest.mark.parametrize("pair", [("s1", " s1"), ("S1", "s1"), ("7", "7.0"), ("07", "7")])
def test_ids_equal_up_to_whitespace_case_zeros_or_point_zero_are_refused(pair):
    frame = pd.concat([store(pair[0], "2024-01-01", 40), store(pair[1], "2024-01-01", 40, seed=1)])
    frame["date"] = pd.to_datetime(frame["date"])
    with pytest.raises(DataError, match="differ only in whitespace, case, leading zeros") as error:
        backtest(frame, ["naive"], horizon=7, n_windows=2, id_col="store", time_col="date", target_col="sales")
    assert repr(pair[0]) in str(error.value) and repr(pair[1]) in str(error.value)


def test_zero_padded_ids_keep_their_text_from_csv_and_integer_parquet_ids_become_text(tmp_path):
    frame = pd.concat([store("007", "2024-01-01", 40), store("008", "2024-01-01", 40, seed=1)])
    loaded = load_csv(write(frame, tmp_path / "padded.csv"), id_column="store")
    result = backtest(loaded.reset_index(), ["naive"], horizon=7, n_windows=2, id_col="store", time_col="date",
                      target_col="sales")
    assert list(result.data) == ["007", "008"]
    parquet = tmp_path / "ids.parquet"
    frame.assign(store=frame["store"].astype(int)).to_parquet(parquet, index=False)
    ids = load_csv(parquet, id_column="store")["store"]
    assert set(ids) == {"7", "8"} and all(isinstance(i, str) for i in ids)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 3), st.integers(0, 3), st.booleans())
def test_number_ids_collide_exactly_when_their_values_are_equal(a, b, pad_a, pad_b, point_zero):
    """Whatever the padding (and a trailing .0), two number ids are refused together if and
    only if they are the same number written differently."""
    first, second = "0" * pad_a + str(a), "0" * pad_b + str(b) + (".0" if point_zero else "")
    if first == second:
        return
    if a == b:
        with pytest.raises(DataError, match=repr(first)):
            check_distinct_ids([first, second])
    else:
        check_distinct_ids([first, second])


def test_ids_as_text_writes_integers_stored_as_floats_without_point_zero():
    text = ids_as_text(pd.Series([7.0, np.nan, 12.0]))
    assert text.iloc[0] == "7" and pd.isna(text.iloc[1]) and text.iloc[2] == "12"


# ------------------------------------------------------------------ 2. the date column


def stations(tmp_path: Path) -> Path:
    """A long file whose first column is the id, as the bundled stations panel is read by hand."""
    parts = [store(f"S0{k}", "2023-01-01", 60, seed=k).rename(columns={"store": "station", "sales": "riders"})
             for k in range(1, 4)]
    return write(pd.concat(parts), tmp_path / "stations.csv")


def test_the_date_column_is_found_among_the_others_never_the_id_column(tmp_path):
    path = stations(tmp_path)
    frame = load_csv(path, id_column="station")
    assert frame.index.name == "date" and set(frame["station"]) == {"S01", "S02", "S03"}
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--id-column", "station",
                                 "--output", str(out), "--name", "run"])
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out / "run" / "forecasts.csv")["series"]) == {"S01", "S02", "S03"}


def test_a_file_without_dates_names_date_column_not_date_format(tmp_path):
    path = write(pd.DataFrame({"station": ["S01", "S02", "S03"], "riders": [1.0, 2.0, 3.0]}), tmp_path / "nodate.csv")
    with pytest.raises(DataError, match="--date-column") as error:
        load_csv(path, id_column="station")
    assert "--date-format" not in str(error.value).split("Fix:")[0]
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--id-column", "station",
                                 "--output", str(tmp_path / "out")])
    assert "--date-column" in one_line_usage_error(result)


# ------------------------------------------------------------------ 3. separators and decimal marks


def european(tmp_path: Path) -> Path:
    path = tmp_path / "eu.csv"
    path.write_text("date;sales;promo\n" + "".join(f"2024-01-{d:02d};{10 + d},5;{d % 2}\n" for d in range(1, 29)))
    return path


def test_a_european_spreadsheet_export_reads_as_written(tmp_path):
    path = european(tmp_path)
    frame = load_csv(path)
    assert list(frame.columns) == ["sales", "promo"] and frame.index[0] == pd.Timestamp("2024-01-01")
    np.testing.assert_allclose(frame["sales"].to_numpy()[:2], [11.5, 12.5])
    out = tmp_path / "out"
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--target", "sales", "--output", str(out)])
    assert result.exit_code == 0, result.output


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sep=st.sampled_from([",", ";", "\t", "|"]), comma=st.booleans(),
       values=st.lists(st.integers(-10**6, 10**6), min_size=3, max_size=40))
def test_any_common_separator_and_decimal_mark_round_trips(tmp_path, sep, comma, values):
    decimal = "," if comma and sep != "," else "."
    sales = np.array(values) / 100 + 0.25  # always a fraction, so the decimal mark shows
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=len(values)).strftime("%Y-%m-%d"),
                          "sales": sales, "label": "a b"})
    path = tmp_path / "any.csv"
    frame.to_csv(path, sep=sep, decimal=decimal, index=False)
    dialect = sniff_dialect(path)
    assert (dialect.sep, dialect.decimal) == (sep, decimal)
    np.testing.assert_allclose(load_csv(path)["sales"].to_numpy(), sales, rtol=1e-12)


def test_sep_and_decimal_override_detection(tmp_path):
    dotted = tmp_path / "dotted.csv"  # semicolons, decimal points, a text column like "1,5"
    dotted.write_text("date;sales;size\n" + "".join(f"2024-01-{d:02d};{10 + d}.5;1,5\n" for d in range(1, 29)))
    assert load_csv(dotted)["size"].iloc[0] == pytest.approx(1.5)  # detected: a decimal comma
    given_ = load_csv(dotted, decimal=".")
    assert given_["size"].iloc[0] == "1,5" and given_["sales"].astype(float).iloc[0] == pytest.approx(11.5)
    with pytest.raises(DataError, match="separator ',' \\(given\\)"):
        load_csv(european(tmp_path), sep=",")


def test_sep_and_decimal_from_the_command_line_and_the_config_file(tmp_path):
    path, out = european(tmp_path), tmp_path / "out"
    flags = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--target", "sales", "--sep", ";",
                                "--decimal", ",", "--output", str(out), "--name", "flags"])
    assert flags.exit_code == 0, flags.output
    assert json.loads((out / "flags" / "run.json").read_text())["metadata"]["observations"] == 28
    config = tmp_path / "run.toml"
    config.write_text('sep = ","\ntarget = "sales"\n')
    wrong_sep = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--config", str(config),
                                    "--output", str(tmp_path / "no")])
    assert "separator ',' (given)" in one_line_usage_error(wrong_sep)
    config.write_text('decimal = "."\ntarget = "sales"\n')
    wrong_decimal = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--config", str(config),
                                        "--output", str(tmp_path / "no")])
    assert "--decimal ," in one_line_usage_error(wrong_decimal)
    assert not (tmp_path / "no").exists()


def test_a_tab_separator_can_be_named_and_bad_values_are_refused_in_one_line(tmp_path):
    path = tmp_path / "tab.csv"
    path.write_text("date\tsales\n" + "".join(f"2024-01-{d:02d}\t{d}.5\n" for d in range(1, 29)))
    ok = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--sep", "tab", "--output", str(tmp_path / "o")])
    assert ok.exit_code == 0, ok.output
    for option, value in (("--decimal", "x"), ("--sep", "ab")):
        bad = runner.invoke(app, ["backtest", *FAST, "--data", str(path), option, value,
                                  "--output", str(tmp_path / "bad")])
        assert option.lstrip("-") in one_line_usage_error(bad)
        assert not (tmp_path / "bad").exists()


def test_a_failed_read_says_which_separator_was_assumed_and_names_the_options(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("date;sales\n2024-01-01;1\n2024-01-02;2;3\n2024-01-03;3\n")
    with pytest.raises(DataError, match="separator ';' \\(detected\\)") as error:
        load_csv(path)
    assert "ambiguous" in str(error.value) and "--sep / --decimal" in str(error.value)
    result = runner.invoke(app, ["backtest", *FAST, "--data", str(path), "--output", str(tmp_path / "out")])
    assert "--sep" in one_line_usage_error(result)
