"""Model files from outside: crafted or tampered files are refused with a ModelFileError,
files saved by earlier versions still load, and signatures and part files behave."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

import tsforecast
from tsforecast.core.errors import ConfigError, ModelFileError
from tsforecast.persistence import read_metadata
from tsforecast.persistence.files import _checksum

from .conftest import weekly_series

#: the bounds as this test states them (not imported: a test must fail on code without them)
MAX_STRING = 2**20
MAX_ARRAYS = 65_536
KEY_VARIABLE = "TSFORECAST_MODEL_KEY"

DATA = Path(__file__).parent / "data"


#: every committed model file of an earlier tsforecast (a new one is tested as soon as it is added)
SAVED_BEFORE = sorted(path.name for path in DATA.glob("*.tsf"))


def test_every_committed_model_file_has_its_expected_forecasts():
    assert len(SAVED_BEFORE) >= 3
    assert set(json.loads((DATA / "v1-forecasts.json").read_text())) == set(SAVED_BEFORE)


@pytest.mark.parametrize("name", SAVED_BEFORE)
def test_files_saved_by_format_version_1_still_load_and_forecast_the_same(name):
    expected = json.loads((DATA / "v1-forecasts.json").read_text())[name]
    model = tsforecast.load(DATA / name)
    assert model.state().model == read_metadata(DATA / name)["model"]
    future = None
    if model.X_ is not None:
        index = pd.bdate_range(model.cutoff_ + pd.offsets.BDay(), periods=3, tz="America/Chicago")
        future = pd.DataFrame({"promo": [True, False, False], "kind": ["a", "b", "a"]}, index=index)
    np.testing.assert_allclose(model.predict(3, future).to_numpy(), expected, rtol=1e-9)


# ------------------------------------------------------------------ crafting files
@pytest.fixture(scope="module")
def naive_file(tmp_path_factory):
    """A small saved model to craft variants of (saved without a signing key)."""
    folder = tmp_path_factory.mktemp("safety")
    model = tsforecast.get_model("naive").fit(weekly_series(30))
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(KEY_VARIABLE, raising=False)
        return model.save(folder / "naive.tsf")


def _parts(path: Path) -> tuple[dict, dict, dict]:
    """The safetensors metadata, the parsed tsforecast JSON and the arrays of a model file."""
    data = path.read_bytes()
    metadata = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])["__metadata__"]
    return metadata, json.loads(metadata["tsforecast"]), load_arrays(data)


def _resave(path: Path, out: Path, change=None, change_arrays=None, document: str | None = None) -> Path:
    """A copy of a model file with its JSON (``change`` edits it in place, or ``document``
    replaces it) or arrays changed and the checksum recomputed to match, as a tamperer would;
    a signature is carried over unchanged."""
    metadata, info, arrays = _parts(path)
    if change:
        change(info)
    if change_arrays:
        change_arrays(arrays)
    document = json.dumps(info) if document is None else document
    metadata = {**metadata, "tsforecast": document, "sha256": _checksum(document, arrays)}
    out.write_bytes(save_arrays(arrays, metadata=metadata))
    return out


def _with_tree_y(path: Path, out: Path, y_json: str) -> Path:
    """``path`` with the JSON text ``y_json`` as its model's training series."""
    _, info, _ = _parts(path)
    info["tree"]["y"] = "@Y@"
    return _resave(path, out, document=json.dumps(info).replace('"@Y@"', y_json))


def _raw_file(header: dict, body: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + body


# ------------------------------------------------------------------ 1. bounds
_HUGE_RANGE = '{"__series__": {"name": null, "index": {"__rangeindex__": [0, 10000000000000, 1], "name": null}, ' \
              '"values": 1.0}}'


@pytest.mark.parametrize(("y_json", "message"), [
    ("[" * 100_000 + "]" * 100_000, "nested deeper than 64"),   # RecursionError in the JSON parser on main
    ("[" * 900 + "]" * 900, "nested deeper than 64"),           # parses, then RecursionError in the decoder
    (_HUGE_RANGE, "series values are float, expected 10000000000000 values"),  # MemoryError on main
    (f'"{"x" * (MAX_STRING + 1)}"', f"string of {MAX_STRING + 1} characters"),
])
def test_crafted_nesting_and_sizes_are_refused(naive_file, tmp_path, y_json, message):
    crafted = _with_tree_y(naive_file, tmp_path / "crafted.tsf", y_json)
    with pytest.raises(ModelFileError, match=message):
        tsforecast.load(crafted)


def test_a_huge_nested_safetensors_header_is_refused(tmp_path):
    (tmp_path / "huge.tsf").write_bytes(len(b"[" * 2**20).to_bytes(8, "little") + b"[" * 2**20)
    with pytest.raises(ModelFileError, match="header is nested deeper"):
        tsforecast.load(tmp_path / "huge.tsf")
    with pytest.raises(ModelFileError, match="header is nested deeper"):
        read_metadata(tmp_path / "huge.tsf")


def _metadata_of(path: Path) -> dict:
    return _parts(path)[0]


@pytest.mark.parametrize(("entries", "message"), [
    ({f"a{i}": {"dtype": "F64", "shape": [0], "data_offsets": [0, 0]} for i in range(MAX_ARRAYS + 1)},
     f"declares {MAX_ARRAYS + 1} arrays"),
    ({"a": {"dtype": "F64", "shape": [10**12], "data_offsets": [0, 8]}}, "claims shape"),
    ({"a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8 * 10**12]}}, "lies outside the file"),
    ({"a": {"dtype": "F64", "shape": [-1], "data_offsets": [0, 8]}}, "non-negative integers"),
    ({"a": {"dtype": "PICKLE", "shape": [1], "data_offsets": [0, 8]}}, "dtype 'PICKLE'"),
])
def test_array_tables_are_checked_against_the_file_size(naive_file, tmp_path, entries, message):
    header = {"__metadata__": _metadata_of(naive_file), **entries}
    (tmp_path / "table.tsf").write_bytes(_raw_file(header, bytes(8)))
    with pytest.raises(ModelFileError, match=message):
        tsforecast.load(tmp_path / "table.tsf")


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).parents[1], env={**os.environ, **(env or {})})


def test_the_cli_refuses_crafted_files_with_one_line_and_exit_2(naive_file, tmp_path):
    for name, y_json in (("deep", "[" * 100_000 + "]" * 100_000), ("broadcast", _HUGE_RANGE)):
        crafted = _with_tree_y(naive_file, tmp_path / f"{name}.tsf", y_json)
        done = _cli("forecast", "--from", str(crafted), "--output", str(tmp_path / "out"), "--quiet")
        assert done.returncode == 2, done.stderr[-1000:]
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in done.stderr
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_edit_of_a_file_loads_or_raises_a_model_file_error(naive_file, tmp_path, data):
    """Replace any one node of a file's JSON by an arbitrary JSON value (checksum recomputed):
    the file loads or is refused with a ModelFileError, never another exception."""
    _, info, _ = _parts(naive_file)
    nodes = []  # (container, key) of every node

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            nodes.append((node, key))
            walk(child)

    walk(info)
    container, key = data.draw(st.sampled_from(nodes))
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                       st.text(max_size=6), st.sampled_from(["__array__", "__freq__", "D", "model/y.values"]))
    container[key] = data.draw(st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
            ["__array__", "__dict__", "__series__", "__rangeindex__", "__objects__", "shape", "name", "values",
             "index", "unit", "tz", "freq"]), inner, max_size=3)), max_leaves=6))
    crafted = _resave(naive_file, tmp_path / "edited.tsf", document=json.dumps(info))
    try:
        tsforecast.load(crafted).predict(2)
    except ModelFileError:
        pass


# ------------------------------------------------------------------ 2. schema checks
def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(info):
        node = info
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def _state(info: dict) -> dict:
    return {k: pair for pair in info["tree"]["state"]["__dict__"] for k in [pair[0]]}


@pytest.mark.parametrize(("change", "field"), [
    (_set("format_version", 0), "format_version"),
    (_set("format_version", True), "format_version"),
    (_set("format_version", "1"), "format_version"),
    (_set("format_version", 1.0), "format_version"),
    (_set("saved_at", "yesterday"), "saved_at"),
    (_set("versions", ["1.0"]), "versions"),
    (_set("label", {"a": 1}), "label"),
    (_set("training", "freq", 7), "training.freq"),
    (_set("training", "observations", 29), "training.observations"),
    (_set("training", "last", "2031-01-01"), "training.last"),
    (_set("training", "season", 0), "training.season"),
    (_set("training", "exogenous", ["promo"]), "training.exogenous"),
    (_set("training", "data_sha256", "0"), "training.data_sha256"),
    (_set("tree", "model", "drift"), "tree.model"),
    (lambda info: info["tree"]["params"]["__dict__"].append(["command", "rm"]), "tree.params"),
    (lambda info: _state(info)["freq_"].__setitem__(1, {"__freq__": "every other tuesday"}), "frequency"),
    (lambda info: _state(info)["freq_"].__setitem__(1, {"__freq__": "W-SUN"}), "state.freq_"),
    (lambda info: _state(info)["season_"].__setitem__(1, 2.5), "state.season_"),
    (lambda info: _state(info)["cutoff_"][1].__setitem__("__timestamp__", 0), "state.cutoff_"),
    (lambda info: info["tree"]["state"]["__dict__"].append(["predict", None]), "state"),
    (lambda info: info["tree"]["state"]["__dict__"].append(["y_", None]), "state"),
    (lambda info: info["tree"]["state"]["__dict__"].append(["_history_parts", []]), "state"),
    (lambda info: info["tree"]["state"]["__dict__"].append(["last_values_", "oops"]), "cannot forecast"),
])
def test_edited_fields_are_refused_by_name_even_with_a_matching_checksum(naive_file, tmp_path, change, field):
    crafted = _resave(naive_file, tmp_path / "edited.tsf", change)
    with pytest.raises(ModelFileError, match=field.replace(".", r"\.")):
        tsforecast.load(crafted)


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "bool"])
def test_a_history_stored_with_another_dtype_is_refused(naive_file, tmp_path, dtype):
    def retype(arrays):
        arrays["model/y.values"] = arrays["model/y.values"].astype(dtype)

    crafted = _resave(naive_file, tmp_path / "int.tsf", change_arrays=retype)
    with pytest.raises(ModelFileError, match=rf"field tree\.y holds {dtype} values.*float64"):
        tsforecast.load(crafted)


def test_a_history_of_another_length_than_its_index_is_refused(naive_file, tmp_path):
    def cut(arrays):
        arrays["model/y.values"] = arrays["model/y.values"][:-1]

    crafted = _resave(naive_file, tmp_path / "cut.tsf", change_arrays=cut)
    with pytest.raises(ModelFileError, match="series values are.*expected 30 values"):
        tsforecast.load(crafted)


def test_read_metadata_checks_the_fields_it_returns(naive_file, tmp_path):
    crafted = _resave(naive_file, tmp_path / "edited.tsf", _set("training", "last", ["2024"]))
    with pytest.raises(ModelFileError, match=r"training\.last"):
        read_metadata(crafted)


# ------------------------------------------------------------------ 3. signatures
KEY = "correct horse battery staple"


@pytest.fixture
def signed(tmp_path, monkeypatch):
    """A model and its file saved with the key set (the key stays set in the test)."""
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    model = tsforecast.get_model("ets").fit(weekly_series(80))
    return model, model.save(tmp_path / "signed.tsf")


def test_a_signed_file_round_trips_with_the_key(signed):
    model, path = signed
    assert len(_metadata_of(path)["hmac_sha256"]) == 64
    restored = tsforecast.load(path)
    pd.testing.assert_series_equal(restored.predict(5), model.predict(5))


def test_a_tampered_signed_file_is_refused_even_with_a_recomputed_checksum(signed, tmp_path):
    _, path = signed
    tampered = _resave(path, tmp_path / "tampered.tsf", _set("label", "ETS(edited)"))
    with pytest.raises(ModelFileError, match="signature does not match"):
        tsforecast.load(tampered)

    def scale(arrays):
        arrays["model/y.values"] = arrays["model/y.values"] * 2

    with pytest.raises(ModelFileError, match="signature does not match"):
        tsforecast.load(_resave(path, tmp_path / "scaled.tsf", change_arrays=scale))


def test_a_wrong_key_is_refused(signed, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, KEY + " but another")
    with pytest.raises(ModelFileError, match="signed with another key or modified"):
        tsforecast.load(signed[1])


def test_with_the_key_set_an_unsigned_file_is_refused(naive_file, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    with pytest.raises(ModelFileError, match=f"not signed, and {KEY_VARIABLE} is set.*save the model again"):
        tsforecast.load(naive_file)


def test_without_the_key_a_signed_file_loads_with_a_note_that_it_was_not_verified(signed, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE)
    with pytest.warns(UserWarning, match="signed, but TSFORECAST_MODEL_KEY is not set: its signature was not verified"):
        tsforecast.load(signed[1])


@pytest.mark.parametrize("key", ["", "short"])
def test_an_empty_or_short_key_is_a_configuration_error_and_nothing_is_written(tmp_path, monkeypatch, key):
    monkeypatch.setenv(KEY_VARIABLE, key)
    model = tsforecast.get_model("naive").fit(weekly_series(30))
    with pytest.raises(ConfigError, match="at least 16 characters"):
        model.save(tmp_path / "m.tsf")
    assert not list(tmp_path.iterdir())


def test_the_cli_refuses_a_file_signed_with_another_key(signed, tmp_path):
    done = _cli("forecast", "--from", str(signed[1]), "--output", str(tmp_path / "out"), "--quiet",
                env={KEY_VARIABLE: "a different key of enough length"})
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "signature does not match" in done.stderr


def test_the_cli_refuses_a_short_key_before_fitting_and_writes_nothing(tmp_path):
    weekly_series(30).rename_axis("date").to_csv(tmp_path / "y.csv")
    done = _cli("fit", "--model", "naive", "--data", str(tmp_path / "y.csv"), "--save", str(tmp_path / "m.tsf"),
                "--quiet", env={KEY_VARIABLE: "short"})
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "at least 16 characters" in done.stderr
    assert not (tmp_path / "m.tsf").exists()

# ------------------------------------------------------------------ 4. part files
# A save killed between writing its part file and renaming it into place (SIGKILL: no
# cleanup handler runs), as a scheduler's timeout or the OOM killer would.
_KILLED_SAVE = """
import os, signal, sys
import tsforecast
from tests.conftest import weekly_series
model = tsforecast.get_model("naive").fit(weekly_series(30))
os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
model.save(sys.argv[1])
"""


@pytest.fixture(scope="module")
def killed_save(tmp_path_factory):
    """The folder of a save that was killed mid-write, its target and the part file left."""
    folder = tmp_path_factory.mktemp("killed")
    done = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(folder / "m.tsf")], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parents[1])
    assert done.returncode == -9, done.stderr[-1000:]
    (part,) = folder.glob(".m.tsf.*.part")
    return folder, part


def test_the_part_file_of_a_killed_save_names_its_process_and_the_next_save_removes_it(killed_save):
    folder, part = killed_save
    assert not (folder / "m.tsf").exists()
    pid = part.name.split(".")[3].split("-")[0]
    assert pid.isdigit()
    dead = part.name
    # beside it: a live writer of the same target (this process), a dead writer of another
    # target whose name starts like this one, and an unrelated file
    live = folder / f".m.tsf.{os.getpid()}-abcdefgh.part"
    other = folder / f".m.tsf.b.tsf.{pid}-abcdefgh.part"
    unrelated = folder / ".m.tsf.notes"
    for path in (live, other, unrelated):
        path.write_bytes(b"partial")
    model = tsforecast.get_model("naive").fit(weekly_series(30))
    model.save(folder / "m.tsf")
    assert not (folder / dead).exists()
    assert live.exists() and other.exists() and unrelated.exists()
    assert tsforecast.load(folder / "m.tsf").predict(1).iloc[0] == pytest.approx(weekly_series(30).iloc[-1])  # naive


def _setting_everywhere(key: str, value: int):
    """A ``change`` for :func:`_resave` that sets every integer field ``key`` of the JSON tree
    (the network configuration's, nested in the fitted state) to ``value``."""

    def change(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get(key), int):
                node[key] = value
            for child in node.values():
                change(child)
        elif isinstance(node, list):
            for child in node:
                change(child)

    return change


def test_a_network_configuration_inflated_past_its_weights_is_refused_before_it_is_built(tmp_path):
    """A crafted configuration (hidden size a million) would allocate terabytes when the network
    is built; its shapes are compared with the saved weights on PyTorch's meta device first."""
    crafted = _resave(DATA / "lstm-v1.tsf", tmp_path / "inflated.tsf", change=_setting_everywhere("hidden", 10**6))
    with pytest.raises(ModelFileError, match="network configuration does not match its saved weights"):
        tsforecast.load(crafted)


def test_a_network_with_more_layers_than_saved_weights_is_refused_before_any_build(tmp_path):
    crafted = _resave(DATA / "lstm-v1.tsf", tmp_path / "deep.tsf", change=_setting_everywhere("num_layers", 100_000))
    with pytest.raises(ModelFileError, match="100000 layers but only"):
        tsforecast.load(crafted)


def test_an_ets_file_cannot_ask_for_unbounded_simulation_paths(tmp_path):
    def inflate(info) -> None:
        pairs = info["tree"]["params"]["__dict__"]
        info["tree"]["params"]["__dict__"] = [[k, 10**12 if k == "simulation_paths" else v] for k, v in pairs]

    crafted = _resave(DATA / "ets-v1.tsf", tmp_path / "paths.tsf", change=inflate)
    with pytest.raises(ModelFileError, match="simulation_paths"):
        tsforecast.load(crafted)
    with pytest.raises(ConfigError, match=r"simulation_paths must be an integer >= 100 and <= 1,000,000"):
        tsforecast.ETS(simulation_paths=10**7).fit(weekly_series(60))
