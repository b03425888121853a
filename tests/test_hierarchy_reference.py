"""tsforecast's reconciliations equal hierarchicalforecast's on the same base forecasts.

``tests/data/hierarchy_reference.json`` holds hierarchicalforecast's outputs on fixed inputs
(the command that wrote it is inside, ``producer``); this test needs no peer library."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsforecast.hierarchy import METHODS, aggregate, projection, reconcile, reconcile_quantiles, residual_correlation

FIXTURE = json.loads((Path(__file__).parent / "data" / "hierarchy_reference.json").read_text())
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def inputs():
    bottom = pd.DataFrame(FIXTURE["bottom"])
    h = aggregate(bottom, ["region", "store"])
    y_insample = h.values.to_numpy().T
    residuals = (y_insample - np.asarray(FIXTURE["y_hat_insample"])).T
    return h, np.asarray(FIXTURE["y_hat"]), y_insample, residuals


def test_the_hierarchy_is_the_one_the_reference_was_made_on(inputs):
    h = inputs[0]
    assert h.ids == FIXTURE["ids"]
    np.testing.assert_array_equal(h.S, np.asarray(FIXTURE["S"]))


@pytest.mark.parametrize("method", METHODS)
def test_reconciled_means_equal_hierarchicalforecasts(inputs, method):
    h, y_hat, y_insample, residuals = inputs
    ours = reconcile(h, y_hat, method, history=y_insample.T, residuals=residuals)
    theirs = np.asarray(FIXTURE["reconciled"][method]["mean"])
    assert np.abs(ours - theirs).max() <= TOLERANCE * np.abs(theirs).max()
    assert np.abs(ours - theirs).max() <= 1e-6 * 1e3  # and absolutely: the values are in the hundreds


@pytest.mark.parametrize("method", [m for m in METHODS if "quantiles" in FIXTURE["reconciled"][m]])
def test_reconciled_normal_quantiles_equal_hierarchicalforecasts(inputs, method):
    """Normality with the shrinkage correlation of the residuals, as hierarchicalforecast's
    ``Normality(covariance_type="shrink")``."""
    h, y_hat, y_insample, residuals = inputs
    P = projection(h, method, y_hat, history=y_insample.T, residuals=residuals)
    _, quantiles = reconcile_quantiles(h, P, y_hat, np.asarray(FIXTURE["sigmah"]), FIXTURE["quantiles"],
                                       residual_correlation(residuals, len(h.ids)))
    theirs = np.asarray(FIXTURE["reconciled"][method]["quantiles"])
    assert np.abs(quantiles - theirs).max() <= TOLERANCE * np.abs(theirs).max()
