"""Routes whose paths depend on the LMS profile: OIDC authorisation, JWKS, token, AGS and NRPS."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, Response, redirect, request

from sandbox import ags, launch, nrps, security
from sandbox.profiles import LmsProfile

# app/controllers/lti/ims/authentication_controller.rb: Canvas's shared authorize_redirect sends the browser on to
# the account's own host, where `api/lti/authorize` answers the authentication request.
CANVAS_AUTHORIZE_PATH = "/api/lti/authorize"


def add_profile_routes(app: Flask, profile: LmsProfile) -> None:
    auth_methods = ["GET", "POST"]
    if profile.is_canvas:
        app.add_url_rule(profile.auth_path, "canvas_authorize_redirect", _canvas_authorize_redirect,
                         methods=auth_methods)
        app.add_url_rule(CANVAS_AUTHORIZE_PATH, "authorize", launch.authorize, methods=auth_methods)
    else:
        app.add_url_rule(profile.auth_path, "authorize", launch.authorize, methods=auth_methods)
    app.add_url_rule(profile.jwks_path, "jwks", security.jwks, methods=["GET"])
    app.add_url_rule(profile.token_path, "token", security.token, methods=["POST"])

    app.add_url_rule(profile.lineitems_rule, "ags_list_line_items", ags.list_line_items, methods=["GET"])
    app.add_url_rule(profile.lineitems_rule, "ags_create_line_item", ags.create_line_item, methods=["POST"])
    app.add_url_rule(profile.lineitem_rule, "ags_get_line_item", ags.get_line_item, methods=["GET"])
    app.add_url_rule(profile.lineitem_rule, "ags_update_line_item", ags.update_line_item, methods=["PUT"])
    app.add_url_rule(profile.lineitem_rule, "ags_delete_line_item", ags.delete_line_item, methods=["DELETE"])
    app.add_url_rule(profile.lineitem_rule + "/scores", "ags_post_score", ags.post_score, methods=["POST"])
    app.add_url_rule(profile.lineitem_rule + "/results", "ags_list_results", ags.list_results, methods=["GET"])
    app.add_url_rule(profile.memberships_rule, "nrps_memberships", nrps.memberships, methods=["GET"])


def _canvas_authorize_redirect() -> Response:
    # A form post becomes a query string: the redirect is a GET, as Canvas's is.
    params = request.args.to_dict() or request.form.to_dict()
    return redirect(f"{CANVAS_AUTHORIZE_PATH}?{urlencode(params)}", code=302)
