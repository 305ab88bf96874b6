"""The registration a login or launch names, read in one query: the platform, the deployment, the nonce's use."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, false, literal, select
from sqlalchemy.orm import Session

from lti_tool.launch.replay import ConsumedNonce
from lti_tool.registry import Deployment, Platform


@dataclass(frozen=True)
class LaunchRegistration:
    platform: Platform
    deployment: Deployment | None  # None: the deployment id is not registered (the platform may accept new ones)
    nonce_used: bool = False

    @property
    def deployment_allowed(self) -> bool:
        return self.deployment is not None or self.platform.accept_new_deployments


def find_launch_registration(session: Session, issuer: str, client_id: str | None, deployment_id: str | None = None,
                             nonce: str | None = None) -> LaunchRegistration | None:
    """The registration for issuer and client id (without a client id, the issuer's only one), with its deployment
    `deployment_id` and whether `nonce` was already consumed on it."""
    deployment_matches = Deployment.deployment_id == deployment_id if deployment_id else false()
    nonce_used = (exists().where(ConsumedNonce.platform_id == Platform.id, ConsumedNonce.nonce == nonce)
                  if nonce is not None else literal(False))
    query = (
        select(Platform, Deployment, nonce_used)
        .outerjoin(Deployment, and_(Deployment.platform_id == Platform.id, deployment_matches))
        .where(Platform.issuer == issuer)
    )
    if client_id is not None:
        query = query.where(Platform.client_id == client_id)
    rows = session.execute(query.limit(2)).all()
    if len(rows) != 1:  # none, or several registrations of the issuer and no client id to choose
        return None
    platform, deployment, used = rows[0]
    return LaunchRegistration(platform, deployment, bool(used))
