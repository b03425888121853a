"""The tsforecast version, importable from any layer (model files and run records carry it)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
