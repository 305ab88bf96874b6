"""Settings are read once, typed, and a wrong value names its variable."""

import sys

import pytest

from config.settings import ObjectStorage, Settings, SettingsError
from lti_tool.sentry import init_sentry

SECRET = "x" * 40


def test_defaults_give_sqlite_under_the_instance_folder_and_eager_tasks(tmp_path):
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'peerlti.db'}"
    assert settings.celery_eager
    assert settings.tool_base_url == "http://localhost:5000"
    assert not settings.is_https


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path):
    first = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)}).secret_key
    second = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_key(tmp_path):
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"PEERLTI_ENV": "production", "PEERLTI_INSTANCE_PATH": str(tmp_path)})


def test_postgres_urls_use_psycopg_3(tmp_path):
    settings = Settings.from_env({"DATABASE_URL": "postgresql://u@db/peerlti", "SECRET_KEY": SECRET})
    assert settings.database_url == "postgresql+psycopg://u@db/peerlti"


@pytest.mark.parametrize(("name", "value"), [
    ("DATABASE_URL", "mysql://root@db/x"),
    ("TOOL_BASE_URL", "peerlti.example.edu"),
    ("CELERY_BROKER_URL", "http://redis"),
    ("PEERLTI_ENV", "staging"),
    ("LTI_CLOCK_LEEWAY_SECONDS", "soon"),
    ("LTI_CLOCK_LEEWAY_SECONDS", "99999"),
    ("SECRET_KEY", "short"),
    ("RATE_LIMIT_STORAGE_URL", "http://redis"),
    ("RATE_LIMIT_LOGIN", "lots"),
    ("RATE_LIMIT_UPLOAD", "10 per fortnight"),
    ("PROXY_FIX_X_FOR", "-1"),
    ("PROXY_FIX_X_FOR", "one"),
    ("PROXY_FIX_X_PROTO", "11"),
    ("LOG_FORMAT", "xml"),
    ("LOG_LEVEL", "chatty"),
    ("WEB_WORKERS", "-2"),
    ("WEB_THREADS", "0"),
    ("WEB_TIMEOUT_SECONDS", "1"),
    ("WEB_MAX_REQUESTS", "many"),
])
def test_a_wrong_value_fails_naming_the_variable(name, value, tmp_path):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": SECRET, name: value})


def test_settings_are_frozen(tmp_path):
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(AttributeError):
        settings.database_url = "sqlite://"  # type: ignore[misc]


def test_https_base_url_is_detected(tmp_path):
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "TOOL_BASE_URL": "https://peerlti.example.edu/"})
    assert settings.is_https and settings.tool_base_url == "https://peerlti.example.edu"


def test_the_previous_secret_key_is_optional_and_as_long_as_a_secret_key(tmp_path):
    assert Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)}).secret_key_previous is None
    previous = "y" * 40
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY_PREVIOUS": previous})
    assert settings.secret_key_previous == previous
    with pytest.raises(SettingsError, match="SECRET_KEY_PREVIOUS"):
        Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY_PREVIOUS": "short"})


def test_rate_limits_are_generous_per_address_and_tighter_per_person_by_default(tmp_path):
    limits = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)}).rate_limits

    assert (limits.login, limits.launch) == ("1500 per minute", "1500 per minute")
    assert (limits.register, limits.review_queue, limits.upload) == ("30 per hour", "30 per minute", "30 per hour")


def test_each_rate_limit_is_one_setting(tmp_path):
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "RATE_LIMIT_REVIEW_QUEUE": "5/minute;50/day"})

    assert settings.rate_limits.review_queue == "5/minute;50/day"


@pytest.mark.parametrize(("environ", "storage"), [
    ({}, None),
    ({"CELERY_BROKER_URL": "redis://cache:6379/0"}, "redis://cache:6379/0"),
    ({"CELERY_BROKER_URL": "amqp://rabbit"}, None),
    ({"CELERY_BROKER_URL": "redis://cache/0", "RATE_LIMIT_STORAGE_URL": "redis://other/3"}, "redis://other/3"),
    ({"CELERY_BROKER_URL": "redis://cache/0", "RATE_LIMIT_STORAGE_URL": "memory://"}, "memory://"),
])
def test_rate_limits_are_counted_in_the_brokers_redis_unless_told_otherwise(tmp_path, environ, storage):
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)} | environ)

    assert settings.rate_limit_storage_url == storage


def test_client_addresses_are_taken_as_they_come_unless_proxies_are_trusted(tmp_path):
    assert Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)}).proxy_fix_x_for == 0
    assert Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "PROXY_FIX_X_FOR": "2"}).proxy_fix_x_for == 2


def test_development_allows_loopback_and_open_registration(tmp_path):
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)})
    assert settings.outbound_allowed_hosts == ("localhost", "127.0.0.1", "::1")
    assert settings.dynamic_registration == "open"


def test_production_allows_no_private_host_and_registers_by_invitation(tmp_path):
    settings = Settings.from_env({"PEERLTI_ENV": "production", "SECRET_KEY": SECRET, "PEERLTI_INSTANCE_PATH": str(tmp_path)})
    assert settings.outbound_allowed_hosts == ()
    assert settings.dynamic_registration == "invite"


def test_tests_register_by_invitation_too(tmp_path):
    settings = Settings.from_env({"PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(tmp_path)})
    assert settings.dynamic_registration == "invite"


def test_allowed_hosts_are_a_comma_separated_list_of_hosts(tmp_path):
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path),
                                  "OUTBOUND_ALLOWED_HOSTS": " Moodle.Intranet , 10.0.0.5,[fd00::7],,"})
    assert settings.outbound_allowed_hosts == ("moodle.intranet", "10.0.0.5", "fd00::7")


@pytest.mark.parametrize(("name", "value"), [
    ("OUTBOUND_ALLOWED_HOSTS", "https://moodle.intranet"),
    ("OUTBOUND_ALLOWED_HOSTS", "moodle.intranet:8443"),
    ("OUTBOUND_ALLOWED_HOSTS", "moodle intranet"),
    ("DYNAMIC_REGISTRATION", "anyone"),
])
def test_a_wrong_outbound_or_registration_setting_names_its_variable(name, value, tmp_path):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), name: value})


@pytest.mark.parametrize(("value", "program"), [
    (None, "soffice"), ("/opt/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"),
    ("off", None), ("", None),
])
def test_reading_copies_use_soffice_on_the_path_unless_another_program_or_off_is_named(tmp_path, value, program):
    environ = {"PEERLTI_INSTANCE_PATH": str(tmp_path)} | ({"LIBREOFFICE": value} if value is not None else {})

    assert Settings.from_env(environ).libreoffice == program


def test_logs_are_json_in_production_and_text_elsewhere_unless_chosen(tmp_path):
    def log_format(**env: str) -> str:
        return Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": SECRET} | env).log_format

    assert log_format(PEERLTI_ENV="production") == "json"
    assert log_format() == "text" and log_format(PEERLTI_ENV="test") == "text"
    assert log_format(PEERLTI_ENV="production", LOG_FORMAT="text") == "text"
    assert log_format(LOG_FORMAT="json") == "json"


def test_file_checks_have_bounded_defaults_and_each_limit_is_one_setting(tmp_path):
    defaults = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)}).file_checks
    assert (defaults.cpu_seconds, defaults.memory_mb, defaults.wall_seconds, defaults.stale_seconds) == (20, 512, 60, 300)
    chosen = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "FILE_CHECK_CPU_SECONDS": "1",
                                "FILE_CHECK_MEMORY_MB": "128", "FILE_CHECK_WALL_SECONDS": "2",
                                "FILE_CHECK_STALE_SECONDS": "10"}).file_checks
    assert (chosen.cpu_seconds, chosen.memory_mb, chosen.wall_seconds, chosen.stale_seconds) == (1, 128, 2, 10)


def test_a_check_is_not_taken_for_abandoned_while_its_wall_clock_limit_lets_it_run(tmp_path):
    base = {"PEERLTI_INSTANCE_PATH": str(tmp_path), "FILE_CHECK_WALL_SECONDS": "120"}
    assert Settings.from_env(base | {"FILE_CHECK_STALE_SECONDS": "121"}).file_checks.stale_seconds == 121
    with pytest.raises(SettingsError, match="FILE_CHECK_STALE_SECONDS"):
        Settings.from_env(base | {"FILE_CHECK_STALE_SECONDS": "120"})


@pytest.mark.parametrize(("name", "value"), [("FILE_CHECK_CPU_SECONDS", "0"), ("FILE_CHECK_MEMORY_MB", "127"),
                                             ("FILE_CHECK_WALL_SECONDS", "3601"), ("FILE_CHECK_STALE_SECONDS", "9")])
def test_a_file_check_limit_out_of_its_range_fails_naming_the_variable(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), name: value})


def test_metrics_are_off_without_a_token_and_a_token_is_at_least_16_characters(tmp_path):
    base = {"PEERLTI_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(base).metrics_token is None
    assert Settings.from_env(base | {"METRICS_TOKEN": "a" * 16}).metrics_token == "a" * 16
    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        Settings.from_env(base | {"METRICS_TOKEN": "a" * 15})


def test_sentry_is_off_without_a_dsn_and_never_imported(tmp_path):
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SENTRY_DSN": " "})
    assert settings.sentry_dsn is None
    assert init_sentry(settings) is False
    assert "sentry_sdk" not in sys.modules


def test_a_sentry_dsn_without_the_package_stops_the_start_saying_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # as if not installed
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SENTRY_DSN": "https://k@sentry.example/1"})
    with pytest.raises(SettingsError, match=r"peerlti\[sentry\]"):
        init_sentry(settings)


def test_uploads_stay_in_a_local_directory_unless_a_storage_url_names_a_bucket(tmp_path):
    assert Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)}).object_storage is None
    assert Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "STORAGE_URL": " "}).object_storage is None

    aws = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "STORAGE_URL": "s3://peerlti-uploads",
                             "S3_REGION": "eu-west-1"}).object_storage
    assert aws == ObjectStorage(bucket="peerlti-uploads", region="eu-west-1", addressing_style="auto")

    minio = Settings.from_env({
        "PEERLTI_INSTANCE_PATH": str(tmp_path), "STORAGE_URL": "s3://peerlti/prod/uploads/",
        "S3_ENDPOINT_URL": "http://minio:9000", "S3_ACCESS_KEY_ID": "peerlti", "S3_SECRET_ACCESS_KEY": "s3cret-key",
    }).object_storage
    assert minio == ObjectStorage(bucket="peerlti", prefix="prod/uploads", endpoint_url="http://minio:9000",
                                  access_key_id="peerlti", secret_access_key="s3cret-key", addressing_style="path")
    assert "s3cret-key" not in repr(minio)


@pytest.mark.parametrize(("environ", "name"), [
    ({"STORAGE_URL": "/srv/uploads"}, "STORAGE_URL"),
    ({"STORAGE_URL": "https://peerlti.s3.amazonaws.com"}, "STORAGE_URL"),
    ({"STORAGE_URL": "s3://"}, "STORAGE_URL"),
    ({"STORAGE_URL": "s3://Peerlti_Uploads"}, "STORAGE_URL"),
    ({"STORAGE_URL": "s3://ab"}, "STORAGE_URL"),
    ({"STORAGE_URL": "s3://peerlti/../escape"}, "STORAGE_URL"),
    ({"STORAGE_URL": "s3://peerlti/up loads"}, "STORAGE_URL"),
    ({"STORAGE_URL": "s3://peerlti", "S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL"),
    ({"STORAGE_URL": "s3://peerlti", "S3_ACCESS_KEY_ID": "peerlti"}, "S3_SECRET_ACCESS_KEY"),
    ({"STORAGE_URL": "s3://peerlti", "S3_SECRET_ACCESS_KEY": "x"}, "S3_ACCESS_KEY_ID"),
    ({"STORAGE_URL": "s3://peerlti", "S3_ADDRESSING_STYLE": "dns"}, "S3_ADDRESSING_STYLE"),
])
def test_a_wrong_storage_setting_fails_naming_its_variable(tmp_path, environ, name):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)} | environ)
def test_smtp_url_with_user_and_password_gives_the_mail_settings(tmp_path):
    settings = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SMTP_URL": "smtps://ann%40uni:p%3Ass@mail.uni.edu",
                                  "MAIL_FROM": "Peer assessment <peer@uni.edu>", "MAIL_REPLY_TO": "help@uni.edu"})
    mail = settings.mail
    assert mail is not None
    assert (mail.host, mail.port, mail.implicit_tls) == ("mail.uni.edu", 465, True)
    assert (mail.username, mail.password) == ("ann@uni", "p:ss")
    assert (mail.mail_from, mail.reply_to) == ("Peer assessment <peer@uni.edu>", "help@uni.edu")
    assert "p:ss" not in repr(settings)


def test_smtp_url_without_credentials_defaults_its_port_and_sender(tmp_path):
    mail = Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SMTP_URL": "smtp://127.0.0.1:2525",
                              "TOOL_BASE_URL": "https://peer.uni.edu"}).mail
    assert mail is not None and (mail.port, mail.implicit_tls, mail.username) == (2525, False, None)
    assert mail.mail_from == "peerlti@peer.uni.edu" and mail.reply_to is None
    assert Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SMTP_URL": "smtp://relay"}).mail.port == 25


def test_without_smtp_url_no_mail_is_sent(tmp_path):
    assert Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path)}).mail is None


@pytest.mark.parametrize("value", ["http://mail.uni.edu", "mail.uni.edu:25", "smtp://", "smtp://host:99999",
                                   "smtp://host:port", "smtp://host/inbox", "smtp://host?tls=1"])
def test_an_invalid_smtp_url_fails_at_start_up_naming_the_variable(tmp_path, value):
    with pytest.raises(SettingsError, match="SMTP_URL"):
        Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SMTP_URL": value})


def test_an_invalid_smtp_url_never_echoes_its_password(tmp_path):
    with pytest.raises(SettingsError) as refusal:
        Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SMTP_URL": "smtp://ann:s3cret@host/x"})
    assert "s3cret" not in str(refusal.value)


@pytest.mark.parametrize(("name", "value"), [("MAIL_FROM", "not an address"), ("MAIL_REPLY_TO", "a@b\r\nBcc: x@y")])
def test_an_invalid_sender_or_reply_to_fails_naming_the_variable(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SMTP_URL": "smtp://relay", name: value})
