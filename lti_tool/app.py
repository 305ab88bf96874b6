"""The application factory: settings in, a configured Flask app out."""

from __future__ import annotations

import logging
import mimetypes
from contextlib import suppress
from datetime import timedelta

from flask import Flask, Response, current_app, flash, make_response, redirect, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug import Response as WerkzeugResponse
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from assessment.assignment_settings import MAX_FILE_MB
from assessment.errors import (
    AssessmentError,
    Conflict,
    InvalidInput,
    NotAllowed,
    NotFound,
    PhaseClosed,
    StorageUnavailable,
    StorageUnreachable,
)
from assessment.reading_copies import LibreOffice
from assessment.services import SubmissionDeps
from config.settings import Settings
from lti_tool.database import EXTENSION as SESSION_FACTORY
from lti_tool.database import db, init_database
from lti_tool.file_store import file_storage
from lti_tool.framing import FrameAncestorsCache, registered_frame_ancestors
from lti_tool.i18n import init_i18n, translate, translate_problems
from lti_tool.input_guard import RowIdConverter, refuse_control_characters
from lti_tool.installation.views import init_installation
from lti_tool.key_vault import UndecryptableKey
from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.views import bp as lti_bp
from lti_tool.launch.views import init_launch
from lti_tool.log_redaction import install_redaction
from lti_tool.logging_setup import log_event
from lti_tool.metrics import LAUNCH_REFUSALS
from lti_tool.rate_limits import init_rate_limits
from lti_tool.refusal_return import REFUSAL, activity_home, origin_page
from lti_tool.request_id import init_request_ids
from lti_tool.sentry import init_sentry
from lti_tool.tab_session import init_tab_sessions
from lti_tool.templating import init_templating
from lti_tool.views import init_views
from lti_tool.views.health import init_health
from lti_tool.views.metrics import init_metrics
from workers.celery_app import make_celery

log = logging.getLogger("peerlti.launch")
csrf = CSRFProtect()
FRAMING = "peerlti.frame_ancestors"

ERROR_STATUS = {NotAllowed: 403, NotFound: 404, PhaseClosed: 409, Conflict: 409, InvalidInput: 400,
                StorageUnreachable: 503, StorageUnavailable: 507}
HTTP_MESSAGES = {
    400: lazy_gettext("The request could not be understood. Go back and try again."),
    403: lazy_gettext("You are not allowed to open this page."),
    404: lazy_gettext("There is no such page. Open the activity again from your course."),
    405: lazy_gettext("This page cannot be used that way. Go back and try again."),
    500: lazy_gettext("Something went wrong on our side. Try again in a moment."),
}


def cookie_policy(settings: Settings) -> dict[str, object]:
    """Over HTTPS the tool is a third party inside the LMS iframe: only partitioned (CHIPS) cookies survive."""
    if settings.is_https:
        return {"secure": True, "samesite": "None", "partitioned": True, "httponly": True, "path": "/"}
    # Plain HTTP (development): browsers refuse SameSite=None without Secure; the sandbox is same-site.
    return {"secure": False, "samesite": "Lax", "partitioned": False, "httponly": True, "path": "/"}


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    init_sentry(settings)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.url_map.converters["int"] = RowIdConverter  # before any route is added: each reads it when added
    policy = cookie_policy(settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        PEERLTI_SETTINGS=settings,
        PEERLTI_COOKIE_POLICY=policy,
        SESSION_COOKIE_NAME="peerlti_session",
        SESSION_COOKIE_SECURE=policy["secure"],
        SESSION_COOKIE_SAMESITE=policy["samesite"],
        SESSION_COOKIE_PARTITIONED=policy["partitioned"],
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        PREFERRED_URL_SCHEME="https" if settings.is_https else "http",
        WTF_CSRF_TIME_LIMIT=None,  # a page left open in the LMS all afternoon must still submit
        WTF_CSRF_SSL_STRICT=False,  # the Referer of a framed page is often stripped by the LMS
        # Werkzeug refuses larger bodies before reading them; each assignment's own limit is checked while reading.
        MAX_CONTENT_LENGTH=(MAX_FILE_MB + 1) * 1024 * 1024,
    )
    init_database(app, settings.database_url)
    init_request_ids(app)  # first of the request hooks: everything after logs under the request's id
    init_tab_sessions(app)  # a tab whose browser refuses cookies keeps its session server-side
    install_redaction()  # its tokens, like id_tokens and states, ride on URLs that servers log
    app.before_request(_refuse_oversized_bodies)  # before CSRF, which would read the body first
    app.before_request(refuse_control_characters)  # then reads the form itself, as CSRF would
    csrf.init_app(app)
    init_launch(app)
    csrf.exempt(lti_bp)  # the platform posts launches; they carry a signed id_token instead
    app.extensions["peerlti.submission_deps"] = SubmissionDeps(
        storage=file_storage(settings), pseudonym_secret=settings.secret_key,
        tool_origin=settings.tool_base_url,
    )
    app.extensions["peerlti.libreoffice"] = LibreOffice(settings.libreoffice)
    app.extensions["peerlti.celery"] = make_celery(settings)
    # pdf.js is served as JavaScript modules, which browsers run only under a JavaScript type; the system's MIME table
    # may not know the .mjs extension.
    mimetypes.add_type("text/javascript", ".mjs")
    init_i18n(app)
    init_templating(app)
    init_views(app)
    init_installation(app)
    init_health(app)
    init_metrics(app)
    init_rate_limits(app, settings)  # after every blueprint: it wraps their views
    _register_error_pages(app)
    app.extensions[FRAMING] = FrameAncestorsCache(lambda: _frame_ancestors_in_database(app))
    app.after_request(_security_headers)
    return app


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(LaunchRejected)
    def launch_rejected(error: LaunchRejected) -> tuple[str, int]:
        db().rollback()
        log_event(log, "launch.refused", status=error.status, kind=type(error).__name__, reason=str(error.reason))
        LAUNCH_REFUSALS.labels(type(error).__name__).inc()  # the kind: a bounded set, unlike the sentence
        return render_template("launch_error.html", error=error), error.status

    @app.errorhandler(AssessmentError)
    def assessment_error(error: AssessmentError) -> WerkzeugResponse | tuple[str, int]:
        db().rollback()
        status = next((code for kind, code in ERROR_STATUS.items() if isinstance(error, kind)), 400)
        problems = translate_problems(getattr(error, "problems", {}))
        message = translate(error.message)
        origin = origin_page()
        if origin is not None:
            # Shown on the page the form came from, where the person can choose again: no dead end.
            flash(" ".join(problems.values()) if problems else message, REFUSAL)
            return redirect(origin, 303)
        return render_template("error.html", status=status, message=message, problems=problems,
                               back=activity_home()), status

    @app.errorhandler(UndecryptableKey)
    def undecryptable_key(error: UndecryptableKey) -> tuple[str, int]:
        db().rollback()
        app.logger.error("%s", error)
        # The administrator's instructions stay in English: they name settings and commands.
        message = gettext("peerlti cannot use its signing key, so nothing was sent to the LMS and nothing was saved. "
                          "Please tell the tool's administrator: %(instructions)s", instructions=str(error))
        return render_template("error.html", status=503, message=message), 503

    @app.errorhandler(OperationalError)
    def database_unreachable(error: OperationalError) -> WerkzeugResponse:
        # The database stopped, restarts or refuses connections: a moment's outage, not a fault of the page.
        app.logger.error("database unreachable: %s", type(error.orig).__name__ if error.orig else error)
        with suppress(SQLAlchemyError):  # the connection is gone: nothing of this request's was written
            db().rollback()
        message = gettext("peerlti cannot reach its database just now, so nothing was saved. Try again in a moment; "
                          "if this lasts, tell the tool's administrator.")
        response = make_response(render_template("error.html", status=503, message=message), 503)
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(StaleDataError)
    def changed_meanwhile(error: StaleDataError) -> tuple[str, int]:
        # A versioned row (a review) changed in another request between this one reading and writing it.
        db().rollback()
        message = gettext("Someone changed this at the same moment. Nothing of yours was saved: reload the page to "
                          "see the latest version, then try again.")
        return render_template("error.html", status=409, message=message), 409

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = gettext("This form expired or did not come from this tool's page. Reload the page and try again.")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        message = gettext("The upload is larger than peerlti accepts (%(max)s MB at most). Nothing was saved.",
                          max=MAX_FILE_MB)
        return render_template("error.html", status=413, message=message), 413

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        # Werkzeug's own descriptions are English; the common ones are said again in the page's language.
        code = error.code or 500  # only a bare HTTPException, never raised as such, lacks a code
        standard = code in HTTP_MESSAGES and error.description == type(error).description
        message = str(HTTP_MESSAGES[code]) if standard else error.description
        return render_template("error.html", status=code, message=message), code


def _refuse_oversized_bodies() -> None:
    """Refuse a body declared too large before anything reads it (Werkzeug would drop the form silently)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


def _frame_ancestors_in_database(app: Flask) -> str:
    # Its own session: the request's may be mid-rollback when an error page is being answered.
    with app.extensions[SESSION_FACTORY]() as session:
        return registered_frame_ancestors(session)


def _frame_ancestors() -> str:
    try:
        return current_app.extensions[FRAMING].get()
    except SQLAlchemyError:
        return "'self'"  # not cached: the next response tries the database again


def _security_headers(response: Response) -> Response:
    # The registered LMSs frame the tool, and no one else may (clickjacking); the rest is locked to this origin. The
    # reader's pdf.js runs its parser as a module worker from the tool's own static files: worker-src says so,
    # rather than leaving it to default-src; it needs no eval, no blob: and no other host.
    if "Content-Security-Policy" not in response.headers:  # a response with its own asks nothing of the database
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; worker-src 'self'; "
            f"form-action *; frame-ancestors {_frame_ancestors()}; base-uri 'none'; object-src 'none'"
        )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response
