"""Run the tsforecast command line from a checkout: ``python cli.py --help``."""

from tsforecast.app.cli import main

if __name__ == "__main__":
    main()
