"""Saved model files: exact round trips in a fresh process without pickle, and clear refusals
of files that are damaged, modified, too new or of another kind."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

import tsforecast
from tsforecast.core.errors import DataError, DataRepairWarning, ModelFileError, NotFittedError, StaleDataWarning
from tsforecast.persistence import FORMAT_VERSION, read_metadata
from tsforecast.persistence.codec import Decoder, Encoder
from tsforecast.persistence.files import _checksum
from tsforecast.registry import MODELS

from .conftest import weekly_series

HORIZON = 10


def _forecasts(model) -> dict[str, list[float]]:
    bounds = model.predict_interval(HORIZON, 0.8)
    return {"point": model.predict(HORIZON).tolist(), "lower": bounds["lower"].tolist(),
            "upper": bounds["upper"].tolist()}


# A fresh interpreter in which unpickling is impossible: loading must not need it.
_LOAD_WITHOUT_PICKLE = """
import json, pickle, sys
# the libraries first (some subclass pickle's classes at import), then no unpickling at all
import pandas, statsmodels.api, torch
import tsforecast, tsforecast.models.neural.estimator, tsforecast.models.ets, tsforecast.selection.auto
import tsforecast.models.auto_theta
def refuse(*args, **kwargs):
    raise RuntimeError("pickle was used")
class RefusingUnpickler:
    def __init__(self, *args, **kwargs):
        refuse()
pickle.loads = pickle.load = refuse
pickle.Unpickler = pickle._Unpickler = RefusingUnpickler
torch.load = refuse
out = {}
for path in sys.argv[1:]:
    model = tsforecast.load(path)
    bounds = model.predict_interval(HORIZON, 0.8)
    out[path] = {"point": model.predict(HORIZON).tolist(), "lower": bounds["lower"].tolist(),
                 "upper": bounds["upper"].tolist()}
print(json.dumps(out))
""".replace("HORIZON", str(HORIZON))


@pytest.mark.slow
def test_every_model_fitted_on_ridership_reloads_identically_in_a_fresh_process_without_pickle(tmp_path):
    rail = tsforecast.load_dataset("ridership")["rail"]
    expected, paths = {}, []
    for name, cls in MODELS.items():
        params = cls.test_params() if name not in ("auto",) else {"candidates": ["snaive", "theta", "ets"]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = tsforecast.get_model(name, **params).fit(rail)
        path = str(model.save(tmp_path / f"{name}.tsf"))
        expected[path] = _forecasts(model)
        paths.append(path)
    done = subprocess.run([sys.executable, "-c", _LOAD_WITHOUT_PICKLE, *paths],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == expected  # exact: the same floats, not approximately


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    model = tsforecast.get_model("ets").fit(weekly_series(150))
    return model, model.save(folder / "ets.tsf")


def _rewrite(path, out, change_metadata=None, change_arrays=None, rehash=True):
    """A copy of a model file with its JSON or arrays changed (and, if asked, a valid checksum)."""
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    metadata = json.loads(data[8 : 8 + size])["__metadata__"]
    info = json.loads(metadata["tsforecast"])
    arrays = load_arrays(data)
    if change_metadata:
        change_metadata(info)
    if change_arrays:
        change_arrays(arrays)
    document = json.dumps(info)
    digest = _checksum(document, arrays) if rehash else metadata["sha256"]
    out.write_bytes(save_arrays(arrays, metadata={"tsforecast": document, "sha256": digest}))
    return out


def test_the_file_records_what_a_scheduler_needs(saved):
    model, path = saved
    info = read_metadata(path)
    assert info["format_version"] == FORMAT_VERSION and info["model"] == "ets"
    assert info["label"] == model.label_
    assert info["training"]["last"] == str(model.cutoff_) and info["training"]["freq"] == "D"
    assert info["training"]["observations"] == 150 and len(info["training"]["data_sha256"]) == 64
    assert info["versions"]["statsmodels"] and info["tsforecast_version"] == tsforecast.__version__


def test_a_changed_byte_is_refused(saved, tmp_path):
    _, path = saved
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    (tmp_path / "bad.tsf").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="modified or damaged"):
        tsforecast.load(tmp_path / "bad.tsf")


def test_changed_parameters_without_a_new_checksum_are_refused(saved, tmp_path):
    def tamper(info):
        info["tree"]["params"]["__dict__"][0][1] = "MMM"

    bad = _rewrite(saved[1], tmp_path / "bad.tsf", change_metadata=tamper, rehash=False)
    with pytest.raises(ModelFileError, match="checksum"):
        tsforecast.load(bad)


@pytest.mark.parametrize("keep", [0, 7, 100, 2000])
def test_a_truncated_file_is_refused(saved, tmp_path, keep):
    (tmp_path / "cut.tsf").write_bytes(saved[1].read_bytes()[:keep])
    with pytest.raises(ModelFileError, match="truncated|not a tsforecast model file"):
        tsforecast.load(tmp_path / "cut.tsf")


def test_a_file_of_a_newer_format_asks_for_an_upgrade(saved, tmp_path):
    newer = _rewrite(saved[1], tmp_path / "newer.tsf",
                     change_metadata=lambda info: info.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match="newer than this tsforecast reads.*upgrade"):
        tsforecast.load(newer)


@pytest.mark.parametrize("content", [b"date,value\n2020-01-01,1\n", b"", b"\x00" * 64,
                                     save_arrays({"w": np.zeros(3)}), save_arrays({"w": np.zeros(3)}, {"a": "b"})])
def test_other_kinds_of_file_are_refused(tmp_path, content):
    (tmp_path / "other.tsf").write_bytes(content)
    with pytest.raises(ModelFileError, match="not a tsforecast model file"):
        tsforecast.load(tmp_path / "other.tsf")


def test_missing_path_and_directory_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        tsforecast.load(tmp_path / "absent.tsf")
    with pytest.raises(ModelFileError, match="directory"):
        tsforecast.load(tmp_path)


@pytest.mark.parametrize("payload", [
    {"__dataclass__": "Popen", "fields": {}},
    {"__import__": "os.system"},
    {"__float__": "__import__('os')"},
])
def test_a_file_asking_for_anything_else_is_refused_even_with_a_valid_checksum(saved, tmp_path, payload):
    def inject(info):
        info["tree"]["state"]["__dict__"].append(["evil_", payload])

    bad = _rewrite(saved[1], tmp_path / "evil.tsf", change_metadata=inject)
    with pytest.raises(ModelFileError, match="refusing|does not read"):
        tsforecast.load(bad)


def test_a_model_name_the_registry_does_not_know_is_refused(saved, tmp_path):
    bad = _rewrite(saved[1], tmp_path / "unknown.tsf", change_metadata=lambda i: i["tree"].update(model="os"))
    with pytest.raises(ModelFileError, match="does not know"):
        tsforecast.load(bad)


def test_an_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(NotFittedError, match="fit the model before saving"):
        tsforecast.get_model("naive").save(tmp_path / "x.tsf")
    assert not (tmp_path / "x.tsf").exists()


def test_timezones_exogenous_columns_and_business_days_survive(tmp_path):
    index = pd.bdate_range("2024-01-01", periods=90, tz="America/Chicago")
    y = pd.Series(np.linspace(10, 30, 90) + np.sin(np.arange(90)), index=index, name="sales")
    X = pd.DataFrame({"promo": np.arange(90) % 5 == 0, "kind": np.where(np.arange(90) % 2, "a", "b")}, index=index)
    model = tsforecast.get_model("arima", p=1, d=0, q=0).fit(y, X)
    future = pd.DataFrame({"promo": [True, False, False], "kind": ["a", "b", "a"]},
                          index=pd.bdate_range(index[-1] + pd.offsets.BDay(), periods=3, tz="America/Chicago"))
    restored = tsforecast.load(model.save(tmp_path / "m.tsf"))
    pd.testing.assert_series_equal(restored.predict(3, future), model.predict(3, future))
    assert restored.cutoff_ == model.cutoff_ and str(restored.cutoff_.tz) == "America/Chicago"


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2**62, 2**62), st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
)
_arrays = st.builds(
    lambda values, dtype: np.asarray(values, dtype=dtype),
    st.lists(st.floats(-1e6, 1e6), max_size=6), st.sampled_from(["float64", "float32", "int64"]),
)
_values = st.recursive(
    st.one_of(_scalars, _arrays),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), inner, max_size=4)),
    max_leaves=12,
)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, float):
        return isinstance(b, float) and (a == b or (np.isnan(a) and np.isnan(b)))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values)
def test_the_codec_round_trips_nested_values_through_json(value):
    encoder = Encoder()
    tree = json.loads(json.dumps(encoder.encode(value, "v"), allow_nan=False))
    assert _same(value, Decoder(encoder.arrays, lambda *args: None).decode(tree))


# ------------------------------------------------------------------ rolling forward
def test_continuing_with_a_longer_file_equals_update():
    from tsforecast.app.continuation import continue_with

    y = weekly_series(160)
    by_update = tsforecast.get_model("ets").fit(y.iloc[:-7]).update(y.iloc[-7:])
    by_file = tsforecast.get_model("ets").fit(y.iloc[:-7])
    assert continue_with(by_file, y) == 7
    pd.testing.assert_series_equal(by_file.predict(14), by_update.predict(14))
    with pytest.warns(StaleDataWarning, match="no new data"):
        assert continue_with(by_file, y) == 0  # nothing newer: unchanged, and said


def test_continuing_refuses_a_gap_another_series_and_another_frequency():
    from tsforecast.app.continuation import continue_with

    y = weekly_series(160)
    model = tsforecast.get_model("naive").fit(y.iloc[:-7])
    with pytest.raises(DataError, match="next observation is"):
        continue_with(model, y.iloc[-4:])
    with pytest.raises(DataError, match="does not continue the model's series: 153 of the 153"):
        continue_with(model, y * 2)
    weekly = pd.Series(np.arange(30.0), pd.date_range("2020-01-05", periods=30, freq="W-SUN"))
    with pytest.raises(DataError, match="W-SUN but the model was fitted on D data"):
        continue_with(model, weekly)


def test_a_few_revised_values_warn_and_keep_the_fitted_history():
    from tsforecast.app.continuation import continue_with

    y = weekly_series(160)
    model = tsforecast.get_model("naive").fit(y.iloc[:-7])
    revised = y.copy()
    revised.iloc[5] += 1.0
    with pytest.warns(DataRepairWarning, match="1 of the 153 values"):
        assert continue_with(model, revised) == 7
    assert model.y_.iloc[5] == y.iloc[5]


@pytest.mark.parametrize("name", ["naive", "snaive", "drift", "mean", "ar", "sarima", "theta", "ets"])
def test_sample_path_quantiles_agree_with_the_forecast_quantiles(name):
    """Paths from the generative form and the analytic (or simulated) quantiles describe the
    same distribution: the gap is Monte Carlo error, under 4% of the 80% interval's width."""
    model = tsforecast.get_model(name).fit(weekly_series(200))
    levels = (0.1, 0.5, 0.9)
    expected = model.predict_quantiles(10, levels)
    paths = model.sample_paths(10, 8000, seed=1)
    observed = np.quantile(paths.to_numpy(), levels, axis=1).T
    width = (expected[0.9] - expected[0.1]).to_numpy()
    assert np.max(np.abs(observed - expected.to_numpy()) / width[:, None]) < 0.04


# ------------------------------------------------------------------ the state protocol
def test_persistence_imports_no_model():
    """Persistence sits below the models: it reaches them through the registry (by name) and
    the state protocol, never by importing a model module, at module level or in a function."""
    import ast
    from pathlib import Path

    import tsforecast.persistence as persistence

    imported = set()
    for path in Path(persistence.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add((path.name, node.module))
            elif isinstance(node, ast.Import):
                imported.update((path.name, alias.name) for alias in node.names)
    upward = sorted((name, module) for name, module in imported
                    if module.split(".")[:2] in (["tsforecast", m] for m in ("models", "selection", "backtest", "app"))
                    or module == "tsforecast")
    assert upward == []
    assert ("files.py", "tsforecast.registry") in imported  # the classes come from the registry


def test_state_dataclass_marks_dataclasses_and_refuses_an_ambiguous_name():
    import dataclasses

    from tsforecast.models.features import Scaler
    from tsforecast.persistence.state import TRUSTED_DATACLASSES, state_dataclass

    assert TRUSTED_DATACLASSES["Scaler"] is Scaler and TRUSTED_DATACLASSES["ExogSchema"].__module__ == (
        "tsforecast.data.exog")
    assert state_dataclass(Scaler) is Scaler  # marking a class again changes nothing
    with pytest.raises(TypeError, match="dataclasses only"):
        state_dataclass(dict)

    @dataclasses.dataclass
    class Scaler:  # noqa: F811 - another class of the same name, as a plugin might define
        mean: float

    with pytest.raises(TypeError, match="already marked under the name 'Scaler'"):
        state_dataclass(Scaler)
    assert TRUSTED_DATACLASSES["Scaler"].__module__ == "tsforecast.models.features"


def test_only_models_are_saved(tmp_path):
    with pytest.raises(ModelFileError, match="cannot save a dict"):
        tsforecast.persistence.save_model({"y_": 1}, tmp_path / "x.tsf")
    assert not (tmp_path / "x.tsf").exists()


def test_the_codec_round_trips_a_model_state():
    from tsforecast.persistence.state import ModelState

    model = tsforecast.get_model("snaive").fit(weekly_series(40))
    encoder = Encoder()
    tree = json.loads(json.dumps(encoder.encode(model.state(), "m"), allow_nan=False))
    assert set(tree["__model__"]) == {"model", "params", "y", "X", "state"}
    decoded = Decoder(encoder.arrays, lambda body, decoder: decoder.decode_state(body)).decode(tree)
    assert isinstance(decoded, ModelState) and decoded.model == "snaive" and decoded.params == model.get_params()
    pd.testing.assert_series_equal(decoded.y, model.y_)
    pd.testing.assert_series_equal(type(model).from_state(decoded).predict(7), model.predict(7))


def test_one_read_gives_the_model_and_its_metadata(saved):
    from tsforecast.persistence import load_model_file

    model, path = saved
    loaded = load_model_file(path)
    assert loaded.metadata == read_metadata(path)
    pd.testing.assert_series_equal(loaded.model.predict(5), model.predict(5))


def test_a_history_nested_models_share_is_stored_once(tmp_path):
    """auto keeps its members, and each member the same history: one array each in the file,
    and the loaded members forecast and roll forward as the fitted ones do."""
    y = weekly_series(120)
    model = tsforecast.Auto(candidates=("snaive", "naive", "theta"), within=100.0).fit(y)
    assert len(model.chosen_) == 3
    path = model.save(tmp_path / "auto.tsf")
    arrays = load_arrays(path.read_bytes())
    history = [key for key, values in arrays.items()
               if values.shape == (len(y),) and np.array_equal(values, y.to_numpy())]
    stamps = [key for key, values in arrays.items() if np.array_equal(values, y.index.asi8)]
    assert len(history) == 1 and len(stamps) == 1, (history, stamps)
    loaded = tsforecast.load(path)
    pd.testing.assert_series_equal(loaded.predict(HORIZON), model.predict(HORIZON))
    later = weekly_series(127).iloc[-7:]
    pd.testing.assert_series_equal(loaded.update(later).predict(HORIZON), model.update(later).predict(HORIZON))


def test_equal_arrays_are_stored_once_and_decoded_where_each_was():
    encoder = Encoder()
    same = np.arange(5.0)
    tree = encoder.encode({"a": same, "b": same.copy(), "c": same.astype("int64"), "d": same[::-1]}, "v")
    assert len(encoder.arrays) == 3  # b is a, c has another dtype, d other bytes
    decoded = Decoder(encoder.arrays, lambda *args: None).decode(json.loads(json.dumps(tree)))
    for name in "abcd":
        assert decoded[name].dtype == (np.int64 if name == "c" else np.float64)
    np.testing.assert_array_equal(decoded["d"], same[::-1])
    np.testing.assert_array_equal(decoded["b"], same)
    decoded["a"][0] = 99.0  # each reference decodes to its own array: writing one leaves the other
    assert decoded["b"][0] == 0.0


def test_a_tree_repeating_a_reference_without_bound_is_refused():
    encoder = Encoder()
    tree = encoder.encode({"a": np.zeros(1 << 16)}, "v")  # 512 KiB
    (reference,) = encoder.arrays
    crafted = {"__tuple__": [{"__array__": reference}] * 64}  # 32 MiB of copies from a 512 KiB file
    decoder = Decoder(encoder.arrays, lambda *args: None)
    assert decoder.decode(tree)["a"].shape == (1 << 16,)
    with pytest.raises(ModelFileError, match="refers to its arrays more often"):
        Decoder(encoder.arrays, lambda *args: None).decode(crafted)
