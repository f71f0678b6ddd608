"""Command-line entry points; ``run.py`` dispatches to the modules here."""
