"""The command line's options, generated from the declarations in :mod:`tsforecast.app.settings`.

:func:`command` turns a function that takes the raw values of the command line into a Typer
command whose signature lists one ``typing.Annotated[..., typer.Option(...)]`` parameter per
option the command takes (Typer reads a function's ``__signature__`` like any other). The
flag, type, help and metavar of each come from the option's declaration, so an option is
written once. :func:`command_line` turns the raw values into the command-line layer of
:func:`~tsforecast.app.settings.resolve_settings`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from tsforecast.app.checks import label
from tsforecast.app.settings import CONFIG, DECLARED, Option, renamed

__all__ = ["command", "command_line", "config_path", "options_of"]

#: a command's body: the raw values of its options, by option name (``config`` too)
Body = Callable[[dict[str, Any]], None]


def options_of(name: str) -> list[Option]:
    """The options command ``name`` takes, in the order its help lists them."""
    return [option for option in DECLARED if name in option.commands]


def _former_parameter(option: Option) -> str:
    return f"{option.name}__{option.formerly}"


def _parameter(option: Option, name: str, command_name: str, *, former: bool = False) -> inspect.Parameter:
    if former:  # the old spelling: still parsed, no longer shown in the help
        flags, info = [f"--{label(str(option.formerly))}"], {"hidden": True}
    else:
        flags = [option.flag_for(command_name), *([option.short] if option.short else [])]
        info = {"help": option.help_for(command_name)}
        if option.metavar:
            info["metavar"] = option.metavar
    if option.cli_type is bool:
        # a flag: given or not (absent leaves the config file's value or the default)
        annotation, default = Annotated[bool, typer.Option(*flags, **info)], False
    else:
        annotation, default = Annotated[option.cli_type | None, typer.Option(*flags, **info)], None
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def command(name: str) -> Callable[[Body], Callable[..., None]]:
    """A decorator: the body, called with the command line's raw values, as Typer command
    ``name`` (its help is the body's docstring)."""

    def build(body: Body) -> Callable[..., None]:
        parameters = []
        for option in options_of(name):
            parameters.append(_parameter(option, option.name, name))
            if option.formerly:
                parameters.append(_parameter(option, _former_parameter(option), name, former=True))

        @functools.wraps(body)
        def run(**given: Any) -> None:
            body(given)

        del run.__wrapped__  # Typer must read the signature below, not the body's
        run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {}
        return run

    return build


def command_line(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """The options given on the command line, as the settings take them: None where not
    given (a flag not set included), paths as text, each option's ``from_cli`` applied
    (``--param`` items as ``model_params`` tables), a former spelling under its new name (with
    a deprecation warning)."""
    values: dict[str, Any] = {}
    former: dict[str, Any] = {}
    spell: dict[str, str] = {}
    for option in options_of(name):
        if not option.in_config:
            continue
        value = given.get(option.name)
        if option.cli_type is bool:
            value = value or None
        elif isinstance(value, Path):
            value = str(value)
        if option.from_cli is not None:
            value = option.from_cli(value)
        values[option.name] = value
        spell[option.name] = option.flag_for(name)
        if option.formerly:
            old = given.get(_former_parameter(option))
            former[option.formerly] = old
            spell[option.formerly] = f"--{label(option.formerly)}"
    return renamed(values, former, "", spell)


def config_path(given: dict[str, Any]) -> Path | None:
    """The ``--config`` file given, if any."""
    return given.get(CONFIG.name)
