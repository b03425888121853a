"""Hierarchies: building the aggregates and S, the rules for bad input, and reconciled
forecasts (points, quantiles, sample paths) that add up at every level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.core.errors import ConfigError, DataError
from tsforecast.hierarchy import (
    METHODS,
    aggregate,
    aggregate_wide,
    projection,
    reconcile,
    reconcile_quantiles,
    reconcile_samples,
    residual_correlation,
    shrunk_covariance,
)

LAYOUT = {"North": ["12", "13", "14"], "South": ["21", "22"], "West": ["31"]}  # West has one store


def long_panel(layout=LAYOUT, days: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = [(region, store, d, float(v)) for region, stores in layout.items() for store in stores
            for d, v in zip(dates, rng.gamma(5.0, 20.0, days), strict=True)]
    return pd.DataFrame(rows, columns=["region", "store", "ds", "y"])


def test_aggregate_builds_every_level_with_readable_ids_and_S():
    frame = long_panel()
    h = aggregate(frame, ["region", "store"])
    assert h.ids[:4] == ["total", "region=North", "region=South", "region=West"]
    assert h.bottom == ["region=North/store=12", "region=North/store=13", "region=North/store=14",
                        "region=South/store=21", "region=South/store=22", "region=West/store=31"]
    assert {k: len(v) for k, v in h.levels.items()} == {"total": 1, "region": 3, "region/store": 6}
    S = h.summing_matrix()
    assert S.loc["region=South"].tolist() == [0, 0, 0, 1, 1, 0] and S.loc["total"].sum() == 6
    # the values: bottom as given, each aggregate the sum of its members
    by_store = frame.pivot(index="ds", columns="store", values="y")
    np.testing.assert_allclose(h.values["region=North/store=13"], by_store["13"])
    np.testing.assert_allclose(h.values["region=North"], by_store[["12", "13", "14"]].sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(h.values["total"], by_store.sum(axis=1), rtol=1e-12)
    assert [h.ids[p] if p >= 0 else None for p in h.parent][:5] == [None, "total", "total", "total", "region=North"]
    long = h.long()
    assert set(long.columns) == {"unique_id", "ds", "y"} and len(long) == 60 * len(h.ids)


def test_an_id_column_below_the_levels_is_the_bottom():
    frame = long_panel()
    frame = pd.concat([frame.assign(sku=frame["store"] + "a"),
                       frame.assign(sku=frame["store"] + "b", y=frame["y"] * 2)], ignore_index=True)
    h = aggregate(frame, ["region", "store"], id_column="sku")
    assert "region=North/store=12/sku=12b" in h.bottom and "region=North/store=12" in h.ids
    assert list(h.levels) == ["total", "region", "region/store", "region/store/sku"]


def test_total_of_wide_columns_is_rail_plus_bus():
    dates = pd.date_range("2019-01-01", periods=5, freq="D")
    frame = pd.DataFrame({"rail": [1.0, 2, 3, 4, 5], "bus": [10.0, 20, 30, 40, 50]}, index=dates)
    h = aggregate_wide(frame)
    assert h.ids == ["total", "bus", "rail"]
    np.testing.assert_allclose(h.values["total"], frame["rail"] + frame["bus"])
    with pytest.raises(DataError, match="already has a 'total' column"):
        aggregate_wide(frame.assign(total=frame.sum(axis=1)))


def test_a_hierarchy_that_does_not_nest_names_the_conflicting_members():
    frame = long_panel()
    moved = frame.index[(frame["store"] == "13")][:10]
    frame.loc[moved, "region"] = "South"  # store 13 now in North and South
    with pytest.raises(DataError, match=r"store '13' is in 2 regions \('North', 'South'\)"):
        aggregate(frame, ["region", "store"])


def test_a_bottom_series_missing_at_some_dates_is_named_or_filled_with_zero():
    frame = long_panel()
    gap = (frame["store"] == "22") & (frame["ds"] < "2024-01-04")
    with pytest.raises(DataError, match=r"region=South/store=22 \(3 date\(s\), first 2024-01-01\)"):
        aggregate(frame[~gap], ["region", "store"])
    with pytest.raises(DataError, match=r"region=South/store=22"):
        aggregate(frame.assign(y=frame["y"].where(~gap)), ["region", "store"])  # a NaN value: the same
    h = aggregate(frame[~gap], ["region", "store"], missing="zero")
    assert (h.values["region=South/store=22"].iloc[:3] == 0).all()
    np.testing.assert_allclose(h.values["region=South"].iloc[:3], h.values["region=South/store=21"].iloc[:3])
    with pytest.raises(ConfigError, match="missing must be one of error, zero"):
        aggregate(frame, ["region", "store"], missing="drop")


def test_other_bad_input_is_refused_clearly():
    frame = long_panel()
    with pytest.raises(ConfigError, match="'city' not in the data"):
        aggregate(frame, ["city", "store"])
    with pytest.raises(DataError, match="repeat a .series, time. pair"):
        aggregate(pd.concat([frame, frame.iloc[:1]]), ["region", "store"])
    with pytest.raises(DataError, match="have no region"):
        aggregate(frame.assign(region=frame["region"].where(frame.index != 5)), ["region", "store"])
    with pytest.raises(ConfigError, match="unknown reconciliation method"):
        reconcile(aggregate(frame, ["region", "store"]), np.ones((10, 2)), "middle_out")


def test_a_one_member_level_is_kept_and_reconciled_equal_to_its_child():
    h = aggregate(long_panel(), ["region", "store"])
    rng = np.random.default_rng(1)
    base = h.values.to_numpy()[-7:].T * rng.uniform(0.7, 1.3, (len(h.ids), 7))
    residuals = rng.normal(size=(50, len(h.ids)))
    west, store = h.ids.index("region=West"), h.ids.index("region=West/store=31")
    for method in METHODS:
        out = reconcile(h, base, method, history=h.values.to_numpy(), residuals=residuals)
        np.testing.assert_allclose(out[west], out[store], rtol=1e-12)


def random_hierarchy(draw) -> dict[str, list[str]]:
    """Up to 4 regions of 1 to 4 stores (store ids unique across regions)."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    return {f"R{r}": [f"{r}{s}" for s in range(n)] for r, n in enumerate(sizes)}


def _coherent(h, values: np.ndarray) -> None:
    """Every series equals the sum of its bottom series to 1e-9 of the forecasts' size."""
    bottom = values[len(h.ids) - h.n_bottom:]
    summed = np.tensordot(h.S, bottom, axes=(1, 0))
    assert np.abs(summed - values).max() <= 1e-9 * max(1.0, np.abs(values).max())


@settings(max_examples=40, deadline=None)
@given(data=st.data(), method=st.sampled_from(METHODS), horizon=st.integers(1, 5), magnitude=st.sampled_from(
    [1.0, 1e3, 1e6]))
def test_reconciled_forecasts_add_up_at_every_level(data, method, horizon, magnitude):
    layout = random_hierarchy(data.draw)
    frame = long_panel(layout, days=30, seed=data.draw(st.integers(0, 1000)))
    if data.draw(st.booleans()):  # a third level: one or two products per store
        second = frame.assign(sku=frame["store"] + "b", y=frame["y"] * 0.5)
        frame = pd.concat([frame.assign(sku=frame["store"] + "a"), second.iloc[: len(second) // 2 // 30 * 30]])
        h = aggregate(frame, ["region", "store"], id_column="sku")
    else:
        h = aggregate(frame, ["region", "store"])
    n = len(h.ids)
    base = np.asarray(data.draw(st.lists(st.floats(-1.0, 1.0), min_size=n * horizon, max_size=n * horizon)))
    base = (base.reshape(n, horizon) + 1.5) * magnitude  # mostly positive, as counts are; any sign works
    rng = np.random.default_rng(0)
    residuals = rng.normal(size=(40, n)) * magnitude
    history = h.values.to_numpy()
    _coherent(h, reconcile(h, base, method, history=history, residuals=residuals))
    P = projection(h, method, base, history=history, residuals=residuals)
    sigma = np.abs(base) * 0.1 + 1
    mean, quantiles = reconcile_quantiles(h, P, base, sigma, [0.1, 0.5, 0.9], residual_correlation(residuals, n))
    _coherent(h, mean)
    _coherent(h, quantiles[:, :, 1])  # the median is the mean: it adds up too
    assert (quantiles[:, :, 0] <= quantiles[:, :, 2] + 1e-9 * magnitude).all()
    paths = base[:, :, None] + rng.normal(size=(n, horizon, 20)) * magnitude
    _coherent(h, reconcile_samples(h, P, paths))


def test_bottom_up_quantiles_come_from_the_sum_not_from_summed_quantiles():
    """The total's 90% quantile under bottom-up is that of the summed distribution: narrower
    than the sum of the bottom quantiles when the bottom errors are independent."""
    dates = pd.date_range("2020-01-01", periods=10, freq="D")
    h = aggregate_wide(pd.DataFrame({"a": np.ones(10), "b": np.ones(10)}, index=dates))
    base, sigma = np.array([[20.0], [10.0], [10.0]]), np.array([[3.0], [1.0], [1.0]])
    P = projection(h, "bottom_up", base)
    mean, q = reconcile_quantiles(h, P, base, sigma, [0.5, 0.9])
    z = 1.2815515655446004
    assert mean[0, 0] == pytest.approx(20.0)
    assert q[0, 0, 1] == pytest.approx(20 + z * np.sqrt(2), rel=1e-9)  # not 20 + 2 z
    correlated = reconcile_quantiles(h, P, base, sigma, [0.9], np.array([[1, 0, 0], [0, 1, 1.0], [0, 1.0, 1]]))[1]
    assert correlated[0, 0, 0] == pytest.approx(20 + 2 * z, rel=1e-9)  # perfectly correlated: they do add


def test_shrunk_covariance_keeps_variances_and_shrinks_covariances():
    rng = np.random.default_rng(3)
    common = rng.normal(size=(200, 1))
    residuals = np.hstack([common + rng.normal(size=(200, 1)) * s for s in (0.5, 1.0, 2.0)])
    W = shrunk_covariance(residuals)
    sample = np.cov(residuals.T)
    np.testing.assert_allclose(np.diag(W), np.diag(sample), rtol=1e-12)
    ratio = W[~np.eye(3, dtype=bool)] / sample[~np.eye(3, dtype=bool)]
    assert np.allclose(ratio, ratio[0]) and 0 < ratio[0] <= 1  # one intensity for every pair
    noise = rng.normal(size=(30, 8))  # independent: the off-diagonal is shrunk hard toward 0
    shrunk = shrunk_covariance(noise)
    assert np.abs(shrunk[~np.eye(8, dtype=bool)]).max() < 0.5 * np.abs(np.cov(noise.T)[~np.eye(8, dtype=bool)]).max()
    with pytest.raises(DataError, match="at least 2 residuals"):
        shrunk_covariance(np.ones((1, 3)))
