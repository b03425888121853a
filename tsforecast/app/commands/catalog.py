"""``tsforecast models``, ``tsforecast datasets`` and ``tsforecast holidays``: what can be run,
as tables on stdout."""

from __future__ import annotations

from tsforecast.app.console import print_table

__all__ = ["list_models", "list_datasets", "list_holidays"]


def list_models() -> None:
    """List the registered models: what each is, its class and its parameters with defaults."""
    from tsforecast.registry import MODELS, model_parameters, model_summary

    rows = [
        (key, f"{model_summary(key)} ({cls.__name__})", ", ".join(
            f"{k}={v!r}" for k, v in model_parameters(key).items() if k != "progress"))
        for key, cls in MODELS.items()
    ]
    print_table("Models", ("name", "what it is (class)", "parameters (defaults)"), rows)


def list_datasets() -> None:
    """List the built-in datasets."""
    from tsforecast.data.datasets import available_datasets, default_target

    rows = [(key, default_target(key), text) for key, text in available_datasets().items()]
    print_table("Built-in datasets", ("name", "default target", "description"), rows)


def list_holidays() -> None:
    """List the holiday calendars --holidays takes: country codes and their subdivisions."""
    import holidays

    rows = [(code, ", ".join(map(str, subdivisions)) or "-")
            for code, subdivisions in sorted(holidays.list_supported_countries().items())]
    print_table(f"Holiday calendars (holidays {holidays.__version__}): --holidays CC or CC-SUBDIV",
                ("country", "subdivisions"), rows)
