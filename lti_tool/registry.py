"""Platform registrations, deployments and tool keys, and the database-backed pylti1p3 ToolConf."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jwcrypto.jwk import JWK
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, false, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from assessment.db import Base, JSONDocument, utcnow

if TYPE_CHECKING:
    from lti_tool.key_vault import SigningKey


class Platform(Base):
    """An LMS registration: one issuer and client id, with the platform's endpoints."""

    __tablename__ = "platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    issuer: Mapped[str] = mapped_column(String(1024))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(2048))
    auth_token_url: Mapped[str] = mapped_column(String(2048))
    key_set_url: Mapped[str] = mapped_column(String(2048))
    audience: Mapped[str | None] = mapped_column(String(2048))
    # Canvas creates a deployment id per install; such platforms may accept new ones.
    accept_new_deployments: Mapped[bool] = mapped_column(Boolean, default=False)
    # Open edX names forum moderators both Learner and TeachingAssistant; most are students (see roles.py).
    learner_assistants_are_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Origins besides the issuer's and the login URL's whose pages may frame the tool (CSP frame-ancestors).
    framing_origins: Mapped[list[str]] = mapped_column(JSONDocument, default=list, server_default=text("'[]'"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )


class Deployment(Base):
    """One install of the tool on a platform, named by the platform's deployment id."""

    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(Base):
    """An RSA key the tool signs with; the newest is current, the one before stays in the JWKS."""

    __tablename__ = "tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(128), unique=True)
    # Never the PEM: lti_tool.key_vault encrypts it with a key derived from SECRET_KEY, and decrypts it to sign.
    encrypted_private_key: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class PlatformSpec:
    """What an administrator states to register a platform."""

    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    audience: str | None = None
    deployment_ids: tuple[str, ...] = ()
    accept_new_deployments: bool = False


def find_platform(session: Session, issuer: str, client_id: str | None) -> Platform | None:
    """The registration for issuer and client id; without a client id, the issuer's only one."""
    query = select(Platform).where(Platform.issuer == issuer)
    if client_id is not None:
        return session.scalars(query.where(Platform.client_id == client_id)).one_or_none()
    candidates = session.scalars(query.limit(2)).all()
    return candidates[0] if len(candidates) == 1 else None


def find_deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment | None:
    return session.scalars(
        select(Deployment).where(Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id)
    ).one_or_none()


# What a registration trusts: where logins go, where tokens come from, whose keys sign launches, which deployments.
TRUSTED_FIELDS = ("auth_login_url", "auth_token_url", "key_set_url", "audience", "accept_new_deployments")


class RegistrationConflict(Exception):
    """The issuer and client id are registered already, with other endpoints or keys; `changes` names them."""

    def __init__(self, platform: Platform, changes: dict[str, tuple[Any, Any]]) -> None:
        super().__init__(
            f"{platform.issuer} (client id {platform.client_id}) is registered already with another "
            f"{', '.join(changes)}; an administrator changes it with `peerlti platform update`."
        )
        self.platform = platform
        self.changes = changes


def registration_changes(platform: Platform, spec: PlatformSpec, fields: tuple[str, ...] = TRUSTED_FIELDS,
                         ) -> dict[str, tuple[Any, Any]]:
    """What `spec` would change in the stored registration, field by field: (stored, stated)."""
    return {field: (getattr(platform, field), getattr(spec, field))
            for field in fields if getattr(platform, field) != getattr(spec, field)}


def register_platform(session: Session, spec: PlatformSpec, *, add_deployments: bool = True) -> Platform:
    """Create a registration; stating an existing one again changes nothing but may add deployment ids.

    A registration never changes the endpoints or keys of an existing issuer + client id (RegistrationConflict):
    whoever could register could otherwise take over a platform's launches and its tokens."""
    platform = find_platform(session, spec.issuer, spec.client_id)
    created = platform is None
    if platform is None:
        platform = Platform(issuer=spec.issuer, client_id=spec.client_id)
        _apply(platform, spec)
        session.add(platform)
    elif changes := registration_changes(platform, spec):
        raise RegistrationConflict(platform, changes)
    if created or add_deployments:
        _add_deployments(platform, spec.deployment_ids)
    session.flush()
    return platform


def update_platform(session: Session, spec: PlatformSpec) -> Platform:
    """An administrator's change of an existing registration (endpoints, keys, name), adding its deployment ids."""
    platform = find_platform(session, spec.issuer, spec.client_id)
    if platform is None:
        raise LookupError(f"{spec.issuer} has no registration with client id {spec.client_id}")
    _apply(platform, spec)
    _add_deployments(platform, spec.deployment_ids)
    session.flush()
    return platform


def _apply(platform: Platform, spec: PlatformSpec) -> None:
    platform.name = spec.name
    for field in TRUSTED_FIELDS:
        setattr(platform, field, getattr(spec, field))


def _add_deployments(platform: Platform, deployment_ids: tuple[str, ...]) -> None:
    known = {deployment.deployment_id for deployment in platform.deployments}
    for deployment_id in deployment_ids:
        if deployment_id not in known:
            platform.deployments.append(Deployment(deployment_id=deployment_id))
            known.add(deployment_id)


def current_tool_key(session: Session) -> ToolKey | None:
    return session.scalars(select(ToolKey).order_by(ToolKey.id.desc()).limit(1)).first()


def published_tool_keys(session: Session) -> list[ToolKey]:
    """The current key and the one before it, so tokens signed just before a rotation still verify."""
    return list(session.scalars(select(ToolKey).order_by(ToolKey.id.desc()).limit(2)))


def lti_registration(platform: Platform, tool_key: SigningKey | None) -> LtiRegistration:
    """The pylti1p3 view of a registration; workers build it without a request."""
    registration = (
        LtiRegistration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.key_set_url)
    )
    if platform.audience:
        registration.set_auth_audience(platform.audience)
    if tool_key is not None:
        # pylti1p3 derives the client-assertion kid from the public key.
        public_pem = JWK(**tool_key.public_jwk).export_to_pem().decode()
        registration.set_tool_private_key(tool_key.private_key_pem).set_tool_public_key(public_pem)
    return registration


class DatabaseToolConf(ToolConfAbstract):
    """pylti1p3's view of the registrations, read from the database through one session."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session

    def check_iss_has_one_client(self, iss: str) -> bool:
        # Always look registrations up by issuer and client id: Canvas uses one issuer for everyone.
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    # pylti1p3 annotates these lookups as never None, yet its own launch and login code checks for None ("Registration
    # not found"), which is how an unknown issuer is refused: the override is right and the base's annotation too narrow.
    def find_registration_by_issuer(  # type: ignore[override]
        self, iss: str, *args: Any, **kwargs: Any
    ) -> LtiRegistration | None:
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(  # type: ignore[override]
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> LtiRegistration | None:
        platform = find_platform(self._session, iss, client_id)
        if platform is None:
            return None
        # Logins and launches only verify the platform's tokens; nothing they do signs with the tool's key.
        return lti_registration(platform, None)

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        platform = find_platform(self._session, iss, client_id)
        if platform is None:
            return None
        if find_deployment(self._session, platform, deployment_id) is None and not platform.accept_new_deployments:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)
