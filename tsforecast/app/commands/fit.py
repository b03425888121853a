"""``tsforecast fit``: one model fitted on all the data and saved (a ``.tsf`` file), for
``tsforecast forecast --from``."""

from __future__ import annotations

from typing import Any

from tsforecast.app.console import err, exit_codes
from tsforecast.app.flags import command, command_line, config_path
from tsforecast.app.inputs import check_takes_regressors, exog_columns, holiday_calendar, load_frame, training_data
from tsforecast.app.models import one_model, only_for, train
from tsforecast.app.settings import resolve_settings
from tsforecast.core.errors import ConfigError

__all__ = ["fit"]


@command("fit")
def fit(given: dict[str, Any]) -> None:
    """Fit one model on all the data and save it, for `tsforecast forecast --from` (e.g. weekly)."""
    with exit_codes():
        from tsforecast.app.outputs import check_output_file
        from tsforecast.core.files import OutputError

        cli = command_line("fit", given)
        settings = resolve_settings(cli, config_path(given))
        only_for(settings["model"], cli["model_params"] or {})
        if settings["model_file"] is None:
            raise ConfigError("--save is required: where to write the fitted model, e.g. --save models/rail.tsf.")
        path = check_output_file(settings["model_file"], "--save")
        from tsforecast.persistence.signing import signing_key

        signing_key()  # a malformed TSFORECAST_MODEL_KEY fails now, not after a long fit
        chosen = one_model(settings)
        frame, target, source = load_frame(settings)
        # regressors: --exog columns and --holidays columns, recorded in the model's exog schema
        exog, calendar = exog_columns(settings), holiday_calendar(settings)
        check_takes_regressors(chosen, exog, calendar)
        y, X = training_data(frame, target, exog, calendar, settings["holiday_days_around"])
        fitted = train(chosen, y.to_frame(), target, settings["quiet"], X)
        try:
            fitted.save(path)
        except OSError as exc:
            raise OutputError(exc.errno, f"could not write {path}: {exc.strerror or exc}; nothing was written") from exc
        if not settings["quiet"]:
            y = fitted.y_
            err.print(f"saved {getattr(fitted, 'label_', fitted.short_name)} fitted on {len(y)} observations of "
                      f"{source}, {y.index[0]} to {y.index[-1]}"
                      + (f", regressors {', '.join(map(str, X.columns))}" if X is not None else "")
                      + f": {path}", highlight=False, markup=False)
