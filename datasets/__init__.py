"""Bundled CSV datasets, installed as the ``tsforecast.bundled`` package (see README.md)."""
