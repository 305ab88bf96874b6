"""Frozen, typed settings built from the environment; the only reader of os.environ."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from limits import parse_many

ENVIRONMENTS = ("development", "test", "production")
REGISTRATION_MODES = ("invite", "open")
LOG_FORMATS = ("text", "json")
ADDRESSING_STYLES = ("auto", "path", "virtual")
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
KEY_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Hosts the tool may reach on loopback without saying so: the sandbox LMS in development and the tests.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class RateLimits:
    """Flask-Limiter limit strings ("1500 per minute", "5/minute;50/day") for the routes worth protecting.

    Login and launch are counted per client address, and a whole class often launches at once from one
    campus NAT address: 1500 a minute lets a lecture hall of several hundred open the activity together
    (each person makes one login and one launch, a retry or two) while a flood stays near 25 a second.
    Registration is per address and rare. The review queue and uploads are counted per person signed in
    (per address for anyone else), so neighbours on one NAT never share them."""

    login: str = "1500 per minute"
    launch: str = "1500 per minute"
    register: str = "30 per hour"
    review_queue: str = "30 per minute"
    upload: str = "30 per hour"


@dataclass(frozen=True)
class FileCheckLimits:
    """What the child process that checks and strips one uploaded file may use before the file is refused as too
    complex. A 10 MB PDF with 50 pictures takes a few seconds and under 200 MB; a decompression bomb hits a limit."""

    cpu_seconds: int = 20
    memory_mb: int = 512  # address space of the child (RLIMIT_AS), not only what it touches
    wall_seconds: int = 60  # a child blocked without using CPU (waiting on nothing) is killed too
    # A check claimed this long ago and not finished belongs to a worker that died: the sweep runs it again.
    stale_seconds: int = 300


@dataclass(frozen=True)
class ObjectStorage:
    """An S3-compatible bucket for uploads (STORAGE_URL=s3://bucket/prefix and the S3_* settings)."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None  # None: AWS S3 itself
    region: str | None = None
    # Both or neither; neither: boto3's own chain (AWS_* variables, a shared credentials file, an instance role).
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    addressing_style: str = "auto"


@dataclass(frozen=True)
class MailSettings:
    """The SMTP relay reminders go through (SMTP_URL), who they come from and where replies go."""

    host: str
    port: int
    implicit_tls: bool  # smtps://: TLS from the first byte; smtp:// upgrades with STARTTLS when the server offers it
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    mail_from: str = "peerlti@localhost"
    reply_to: str | None = None
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class Settings:
    environment: str
    instance_path: Path
    database_url: str
    secret_key: str
    tool_base_url: str
    celery_broker_url: str | None
    celery_result_backend: str | None
    clock_leeway_seconds: int
    http_timeout_seconds: float
    passback_backoff_seconds: int = 5
    passback_stuck_seconds: int = 300
    # A posting claimed by a worker known to be gone is taken back after this long, not after the stuck delay.
    passback_orphan_seconds: int = 30
    # Connect, socket and publish timeouts towards the broker: how long a page may wait on a stopped broker.
    celery_broker_timeout_seconds: int = 3
    # The SECRET_KEY before a change, kept while `peerlti keys reencrypt` moves the tool keys to the new one.
    secret_key_previous: str | None = None
    # Where rate-limit counters live: a Redis URL, or None for the process's memory.
    rate_limit_storage_url: str | None = None
    rate_limits: RateLimits = RateLimits()
    # How many reverse proxies in front of the tool to trust for X-Forwarded-For (0: take the peer address).
    proxy_fix_x_for: int = 0
    # Hosts exempt from the outbound address rules (loopback, private...): lower case, IPv6 without brackets.
    outbound_allowed_hosts: tuple[str, ...] = ()
    # How many reverse proxies to trust for X-Forwarded-Proto (0: the scheme the server itself received).
    proxy_fix_x_proto: int = 0
    # "json": one JSON object per line, for a log collector (production's default); "text": lines for a person.
    log_format: str = "text"
    log_level: str = "INFO"
    # gunicorn (config/gunicorn.py): processes (0: from the CPU count), threads each, request timeout, and how many
    # requests a process serves before it is replaced (0: never), which bounds any slow leak.
    web_workers: int = 0
    web_threads: int = 4
    web_timeout_seconds: int = 60
    web_max_requests: int = 2000
    # "invite": /lti/register needs an administrator's single-use invitation; "open": anyone may register.
    dynamic_registration: str = "invite"
    # The LibreOffice program that turns DOCX and ODT files into PDFs to read in the page (a name on PATH or a path);
    # None ("off"): they are offered as downloads only.
    libreoffice: str | None = "soffice"
    file_checks: FileCheckLimits = FileCheckLimits()
    # The bearer token a Prometheus scrape of /metrics must send; None: /metrics answers 404.
    metrics_token: str | None = None
    # The port each Celery worker serves its pool's metrics on (same token); 0: not served.
    worker_metrics_port: int = 0
    # Error reports to Sentry (the `sentry` extra) when set.
    sentry_dsn: str | None = None
    # Where uploads live: an S3-compatible bucket, or None for the directory `uploads` of the instance path.
    object_storage: ObjectStorage | None = None
    # Reminder e-mails; None: no e-mail is sent, reminders show on the students' pages only.
    mail: MailSettings | None = None

    @property
    def is_https(self) -> bool:
        return self.tool_base_url.startswith("https://")

    @property
    def celery_eager(self) -> bool:
        # Without a broker the embedded default runs tasks in-process.
        return self.celery_broker_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        environment = _choice(env, "PEERLTI_ENV", ENVIRONMENTS, "development")
        instance_path = Path(env.get("PEERLTI_INSTANCE_PATH", "instance")).resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'peerlti.db'}"
        broker_url = _optional_url(env, "CELERY_BROKER_URL", ("redis", "rediss", "amqp"))
        return cls(
            environment=environment,
            instance_path=instance_path,
            database_url=_database_url(database_url),
            secret_key=_secret_key(env, environment, instance_path),
            tool_base_url=_http_url(env, "TOOL_BASE_URL", "http://localhost:5000"),
            celery_broker_url=broker_url,
            celery_result_backend=_optional_url(
                env, "CELERY_RESULT_BACKEND", ("redis", "rediss", "db+postgresql", "db+sqlite")
            ),
            clock_leeway_seconds=_int(env, "LTI_CLOCK_LEEWAY_SECONDS", 60, low=0, high=600),
            http_timeout_seconds=float(_int(env, "HTTP_TIMEOUT_SECONDS", 10, low=1, high=120)),
            passback_backoff_seconds=_int(env, "PASSBACK_BACKOFF_SECONDS", 5, low=1, high=3600),
            passback_stuck_seconds=_int(env, "PASSBACK_STUCK_SECONDS", 300, low=1, high=86400),
            passback_orphan_seconds=_int(env, "PASSBACK_ORPHAN_SECONDS", 30, low=0, high=3600),
            celery_broker_timeout_seconds=_int(env, "CELERY_BROKER_TIMEOUT_SECONDS", 3, low=1, high=60),
            secret_key_previous=_previous_secret_key(env),
            rate_limit_storage_url=_rate_limit_storage(env, broker_url),
            rate_limits=RateLimits(**{
                name: _rate_limit(env, "RATE_LIMIT_" + name.upper(), default)
                for name, default in vars(RateLimits()).items()
            }),
            proxy_fix_x_for=_int(env, "PROXY_FIX_X_FOR", 0, low=0, high=10),
            proxy_fix_x_proto=_int(env, "PROXY_FIX_X_PROTO", 0, low=0, high=10),
            log_format=_choice(env, "LOG_FORMAT", LOG_FORMATS, "json" if environment == "production" else "text"),
            log_level=_choice(env, "LOG_LEVEL", LOG_LEVELS, "INFO"),
            web_workers=_int(env, "WEB_WORKERS", 0, low=0, high=256),
            web_threads=_int(env, "WEB_THREADS", 4, low=1, high=64),
            web_timeout_seconds=_int(env, "WEB_TIMEOUT_SECONDS", 60, low=5, high=3600),
            web_max_requests=_int(env, "WEB_MAX_REQUESTS", 2000, low=0, high=1_000_000),
            outbound_allowed_hosts=_hosts(env, "OUTBOUND_ALLOWED_HOSTS",
                                          () if environment == "production" else LOCAL_HOSTS),
            # Development stays open so the sandbox's "External tools" page registers the tool without a step.
            dynamic_registration=_choice(env, "DYNAMIC_REGISTRATION", REGISTRATION_MODES,
                                         "open" if environment == "development" else "invite"),
            libreoffice=_program(env, "LIBREOFFICE", "soffice"),
            file_checks=_file_check_limits(env),
            metrics_token=_metrics_token(env),
            worker_metrics_port=_worker_metrics_port(env),
            sentry_dsn=env.get("SENTRY_DSN", "").strip() or None,
            object_storage=_object_storage(env),
            mail=_mail(env, _http_url(env, "TOOL_BASE_URL", "http://localhost:5000")),
        )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def _object_storage(env: Mapping[str, str]) -> ObjectStorage | None:
    url = env.get("STORAGE_URL", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    prefix = parts.path.strip("/")
    if parts.scheme != "s3" or not BUCKET_NAME.fullmatch(parts.netloc) or parts.query or parts.fragment or any(
            not KEY_SEGMENT.fullmatch(segment) or segment in (".", "..") for segment in prefix.split("/") if prefix):
        raise SettingsError("STORAGE_URL must be s3://bucket or s3://bucket/prefix (a bucket name of 3 to 63 "
                            f"lower-case letters, digits, dots and hyphens), or unset for a local directory; got {url!r}")
    endpoint = env.get("S3_ENDPOINT_URL", "").strip() or None
    if endpoint is not None and (urlsplit(endpoint).scheme not in ("http", "https") or not urlsplit(endpoint).netloc):
        raise SettingsError(f"S3_ENDPOINT_URL must be an http(s) URL such as https://minio.example.edu:9000; got "
                            f"{endpoint!r}")
    key_id = env.get("S3_ACCESS_KEY_ID", "").strip() or None
    secret = env.get("S3_SECRET_ACCESS_KEY", "").strip() or None
    if (key_id is None) != (secret is None):
        raise SettingsError("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither to use "
                            "boto3's own credentials (AWS_* variables, an instance role)")
    return ObjectStorage(
        bucket=parts.netloc, prefix=prefix, endpoint_url=endpoint, region=env.get("S3_REGION", "").strip() or None,
        access_key_id=key_id, secret_access_key=secret,
        # Self-hosted stores (MinIO) answer on one host name, with the bucket in the path.
        addressing_style=_choice(env, "S3_ADDRESSING_STYLE", ADDRESSING_STYLES, "path" if endpoint else "auto"),
    )


def _mail(env: Mapping[str, str], tool_base_url: str) -> MailSettings | None:
    raw = env.get("SMTP_URL", "").strip()
    if not raw:
        return None
    example = "such as smtps://user:password@smtp.example.edu:465 or smtp://localhost:25"
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        raise SettingsError(f"SMTP_URL has an invalid port; it must be an smtp:// or smtps:// URL {example}") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        # The password is never echoed back: only the scheme and host are named.
        raise SettingsError(f"SMTP_URL must be an smtp:// or smtps:// URL {example}; got scheme {parts.scheme!r} "
                            f"and host {parts.hostname!r}")
    implicit_tls = parts.scheme == "smtps"
    host = urlsplit(tool_base_url).hostname or "localhost"
    return MailSettings(
        host=parts.hostname,
        port=port or (465 if implicit_tls else 25),
        implicit_tls=implicit_tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        mail_from=_address(env, "MAIL_FROM") or f"peerlti@{host}",
        reply_to=_address(env, "MAIL_REPLY_TO"),
    )


def _address(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    _, address = parseaddr(value)
    if "@" not in address or any(character in value for character in "\r\n\0"):
        raise SettingsError(f"{name} must be an e-mail address such as 'Peer assessment <peerlti@example.edu>'; "
                            f"got {value!r}")
    return value


def _metrics_token(env: Mapping[str, str]) -> str | None:
    value = env.get("METRICS_TOKEN", "").strip()
    if not value:
        return None
    # A short token could be guessed by trying: /metrics answers anyone who can reach the tool.
    if len(value) < 16:
        raise SettingsError("METRICS_TOKEN must be 16 characters or more (or unset, which turns /metrics off)")
    return value


def _worker_metrics_port(env: Mapping[str, str]) -> int:
    port = _int(env, "WORKER_METRICS_PORT", 0, low=0, high=65535)
    if port and _metrics_token(env) is None:
        raise SettingsError("WORKER_METRICS_PORT needs METRICS_TOKEN: the workers' metrics are never served openly")
    return port


def _program(env: Mapping[str, str], name: str, default: str) -> str | None:
    value = env.get(name, default).strip()
    if value.lower() in ("", "off", "none"):
        return None
    if any(character in value for character in "\n\0"):
        raise SettingsError(f"{name} is a program name or path, or off; got {value!r}")
    return value


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name, default)
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number; got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}; got {value}")
    return value


def _file_check_limits(env: Mapping[str, str]) -> FileCheckLimits:
    limits = FileCheckLimits(
        cpu_seconds=_int(env, "FILE_CHECK_CPU_SECONDS", 20, low=1, high=600),
        memory_mb=_int(env, "FILE_CHECK_MEMORY_MB", 512, low=128, high=16384),
        wall_seconds=_int(env, "FILE_CHECK_WALL_SECONDS", 60, low=2, high=3600),
        stale_seconds=_int(env, "FILE_CHECK_STALE_SECONDS", 300, low=10, high=86400),
    )
    # A check still running must never look abandoned, or the sweep would start a second one beside it.
    if limits.stale_seconds <= limits.wall_seconds:
        raise SettingsError(f"FILE_CHECK_STALE_SECONDS ({limits.stale_seconds}) must be longer than "
                            f"FILE_CHECK_WALL_SECONDS ({limits.wall_seconds})")
    return limits


def _hosts(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    hosts = []
    for item in raw.split(","):
        host = item.strip().lower().removeprefix("[").removesuffix("]")
        if not host:
            continue
        if any(character in host for character in "/@ ?#") or host.count(":") == 1:
            raise SettingsError(f"{name} is a comma-separated list of host names or addresses, without scheme "
                                f"or port, such as moodle.example.edu,10.0.0.5; got {item.strip()!r}")
        hosts.append(host)
    return tuple(hosts)


def _http_url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) URL such as https://peerlti.example.edu; got {value!r}")
    return value


def _optional_url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = env.get(name) or None
    if value is not None and urlsplit(value).scheme not in schemes:
        raise SettingsError(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}; got {value!r}")
    return value


def _rate_limit_storage(env: Mapping[str, str], broker_url: str | None) -> str | None:
    # The broker's Redis is shared by every web worker, so limits hold across processes without a new service.
    explicit = _optional_url(env, "RATE_LIMIT_STORAGE_URL", ("redis", "rediss", "memory"))
    if explicit is not None:
        return explicit
    return broker_url if broker_url and urlsplit(broker_url).scheme in ("redis", "rediss") else None


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    try:
        parse_many(value)
    except ValueError:
        raise SettingsError(
            f"{name} must be limits such as '30 per minute' or '5/minute;50/day'; got {value!r}"
        ) from None
    return value


def _database_url(value: str) -> str:
    scheme = urlsplit(value).scheme
    # psycopg 3 is the PostgreSQL driver; accept the common spellings of the URL.
    if scheme in ("postgres", "postgresql"):
        return "postgresql+psycopg" + value[len(scheme):]
    if scheme in ("postgresql+psycopg", "sqlite"):
        return value
    raise SettingsError(f"DATABASE_URL must be a postgresql:// or sqlite:/// URL; got scheme {scheme!r}")


def _previous_secret_key(env: Mapping[str, str]) -> str | None:
    value = env.get("SECRET_KEY_PREVIOUS") or None
    if value is not None and len(value) < 32:
        raise SettingsError("SECRET_KEY_PREVIOUS must be at least 32 characters long, as SECRET_KEY was")
    return value


def _secret_key(env: Mapping[str, str], environment: str, instance_path: Path) -> str:
    value = env.get("SECRET_KEY")
    if value:
        if len(value) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters long")
        return value
    if environment == "production":
        raise SettingsError("SECRET_KEY is required when PEERLTI_ENV=production")
    # Development keeps a generated key so sessions survive restarts.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
