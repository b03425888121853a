"""The application around the library: the ``tsforecast`` command line, its settings (options,
TOML config), run folders and outputs, and continuing a saved model on new data."""
