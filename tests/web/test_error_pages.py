"""Failures that reach the edge become pages a person can act on."""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError


def test_a_row_changed_by_another_request_meanwhile_gets_a_409_page_saying_to_reload(app, client):
    @app.get("/test-only/stale")
    def stale() -> str:
        raise StaleDataError("UPDATE statement on table 'reviews' expected to update 1 row(s); 0 were matched.")

    response = client.get("/test-only/stale")

    assert response.status_code == 409
    assert b"reload the page" in response.data and b"reviews" not in response.data
