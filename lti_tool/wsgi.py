"""Entry point for WSGI servers (`gunicorn -c config/gunicorn.py lti_tool.wsgi:app`): the app built at import."""

from config.settings import Settings
from lti_tool.app import create_app
from lti_tool.database import EXTENSION as SESSION_FACTORY
from lti_tool.logging_setup import configure_logging
from lti_tool.migrate import require_current_schema

settings = Settings.from_env()
configure_logging(settings.log_format, settings.log_level)
app = create_app(settings)
# A database behind the code would fail requests one by one; refusing to start says what to do instead.
require_current_schema(app.extensions[SESSION_FACTORY].kw["bind"])
