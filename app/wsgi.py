"""The one application object gunicorn serves."""

from app import create_app

app = create_app()
