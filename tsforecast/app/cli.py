"""The ``tsforecast`` command line: the Typer app and its entry point, a thin layer over the
library.

The commands live in :mod:`tsforecast.app.commands` (one module each), their options are
declared once in :mod:`tsforecast.app.settings`, and exit codes, messages and printed tables
in :mod:`tsforecast.app.console`. Outputs of a run are published together
(:class:`tsforecast.app.outputs.RunDirectory`).
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from typer.core import TyperGroup
from typer.exceptions import TyperException

from tsforecast.app.commands.backtest import backtest
from tsforecast.app.commands.catalog import list_datasets, list_holidays, list_models
from tsforecast.app.commands.fit import fit
from tsforecast.app.commands.forecast import forecast
from tsforecast.app.commands.monitor import monitor
from tsforecast.app.console import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_MODEL_FAILED,
    EXIT_NO_NEW_DATA,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_USAGE,
    err,
)

__all__ = ["app", "main", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_MODEL_FAILED", "EXIT_OUTPUT",
           "EXIT_NO_NEW_DATA"]


class _OneLineErrors(TyperGroup):
    """Usage mistakes (``--horizon abc``, an unknown option) as one ``error:`` line and exit 2,
    like every other mistake, instead of a framed usage box."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        except TyperException as exc:
            # no arguments at all: the help text is what a user needs (typer raises it as an error)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message())
            else:
                err.print(f"[red]error:[/red] {escape(exc.format_message())}", highlight=False, soft_wrap=True)
            code = getattr(exc, "exit_code", EXIT_USAGE)
        except typer.Abort:
            code = EXIT_INTERRUPTED
        code = code if isinstance(code, int) else EXIT_OK
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=_OneLineErrors,
    help="Forecast time series with classical and neural models, backtest them side by side, "
    "and write a self-contained HTML report.\n\nExit codes: 0 success, 2 bad usage or data "
    "(nothing written), 3 some model failed (outputs written), 4 outputs could not be written, "
    "5 no new data (forecast --from --require-new-data; nothing written) or a new drift alarm (monitor), "
    "1 internal error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("backtest")(backtest)
app.command("fit")(fit)
app.command("forecast")(forecast)
app.command("monitor")(monitor)
app.command("models")(list_models)
app.command("datasets")(list_datasets)
app.command("holidays")(list_holidays)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="tsforecast")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
