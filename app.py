"""Entry point for `flask --app app ...` and WSGI servers: the application, nothing else."""

from bank_tax import create_app

app = create_app()
