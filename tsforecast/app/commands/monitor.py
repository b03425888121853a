"""``tsforecast monitor``: score the stored forecasts against the actuals that arrived, keep the
scores in the store, test every model and series for drift, and write the monitoring report;
exit code 5 (:data:`~tsforecast.app.console.EXIT_DRIFT`) when a new drift alarm fires."""

from __future__ import annotations

from typing import Any

import typer

from tsforecast.app.console import EXIT_DRIFT, Published, err, exit_codes
from tsforecast.app.flags import command, command_line, config_path
from tsforecast.app.inputs import load_frame
from tsforecast.app.outputs import run_directory
from tsforecast.app.settings import resolve_settings
from tsforecast.app.storing import STORE_ENV, open_store
from tsforecast.core.errors import ConfigError

__all__ = ["monitor"]


@command("monitor")
def monitor(given: dict[str, Any]) -> None:
    """Score the stored forecasts against the actuals of --data, record the scores in the store,
    test each model and series for drift against its backtest, and write report.html and
    scores.csv. Exit code 5 when a new drift alarm fires (e.g. daily, after the actuals arrive)."""
    published = Published()
    with exit_codes(published):
        import json

        from tsforecast.core.provenance import versions
        from tsforecast.data.text import stamp_text
        from tsforecast.monitoring.run import monitor as run_monitor
        from tsforecast.report.monitoring import MonitoringTables, render_monitoring_report

        settings = resolve_settings(command_line("monitor", given), config_path(given))
        if not settings["data"]:
            raise ConfigError("--data is required: the file of actual values to score the stored forecasts against.")
        store = open_store(settings)  # an unusable store: one error line, exit 2, nothing read or written
        if store is None:
            raise ConfigError(f"--store is required (or the config's store, or ${STORE_ENV}): the forecast store "
                              "whose forecasts are scored.")
        with run_directory(settings, "monitor") as run, store:
            frame, target, source = load_frame(settings)
            result = run_monitor(store, frame, target=target, id_column=settings["id_column"],
                                 coverage=settings["coverage"])
            tables = MonitoringTables(result.accuracy, result.drift.path, result.alarms, result.drift.references,
                                      result.unscored, result.problems, result.threshold, store.url)
            run.write("report.html", render_monitoring_report(tables))
            run.write("scores.csv", result.scores.to_csv(index=False))
            run.write("alarms.csv", result.alarms.to_csv(index=False))
            if len(result.unscored):
                run.write("unscored.csv", result.unscored.to_csv(index=False))
            run.write("run.json", json.dumps({
                "store": store.url, "data": source, "scored": result.recorded, "scores": len(result.scores),
                "unscored": len(result.unscored), "alarms": len(result.alarms),
                "new_alarms": result.new_alarms.to_dict(orient="records"), "versions": versions(),
            }, indent=2, default=str))
            published.path = run.publish()
        if not settings["quiet"]:
            err.print(f"monitor: {result.recorded} forecast(s) scored, {len(result.scores)} in the store; report: "
                      f"{published.path / 'report.html'}", highlight=False, markup=False)
        if result.drifted:
            # stderr even with --quiet: cron mails it, and the exit code tells the scheduler to act
            for alarm in result.new_alarms.itertuples():
                err.print(f"drift: {alarm.model} on {alarm.series_id}: alarm at {stamp_text(alarm.alarm_time)}, "
                          f"errors up since {stamp_text(alarm.since)} (mean scaled error {alarm.mean_error:.2f}, "
                          f"its reference's median {alarm.reference_error:.2f})", highlight=False, markup=False)
            raise typer.Exit(EXIT_DRIFT)
