"""The ``tsforecast`` commands, one module each; :mod:`tsforecast.app.cli` registers them.

Each command's options are generated from their declarations (:mod:`tsforecast.app.flags`);
the library (pandas, statsmodels, PyTorch) is imported inside the commands, so that
``tsforecast --help`` answers at once."""

__all__: list[str] = []
