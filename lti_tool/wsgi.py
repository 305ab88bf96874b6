"""Entry point for WSGI servers (`gunicorn lti_tool.wsgi:app`): the one place the app is built at import."""

from lti_tool.app import create_app

app = create_app()
