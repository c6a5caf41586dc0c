"""gunicorn's entry point: ``gunicorn server:app``. Settings come from KG_* variables."""

from kg import create_app

app = create_app()
