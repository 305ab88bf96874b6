"""The workers' broker timeouts and outbox recovery delays are settings, parsed once and checked at start-up."""

import pytest

from config.settings import Settings, SettingsError
from workers.celery_app import make_celery

SECRET = "x" * 40


def _settings(tmp_path, **environ: str) -> Settings:
    return Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": SECRET, **environ})


def _broker_timeouts(settings: Settings) -> set[float]:
    celery = make_celery(settings)
    conf = celery.conf
    timeouts = {conf.broker_connection_timeout, conf.broker_transport_options["socket_timeout"],
                conf.broker_transport_options["socket_connect_timeout"], conf.redis_socket_timeout,
                conf.redis_socket_connect_timeout}
    celery.close()
    return timeouts


def test_a_page_waits_three_seconds_at_most_on_the_broker_by_default(tmp_path):
    settings = _settings(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/0")

    assert settings.celery_broker_timeout_seconds == 3
    assert _broker_timeouts(settings) == {3}


@pytest.mark.parametrize("seconds", ["1", "7", "60"])
def test_the_broker_timeouts_follow_their_setting(tmp_path, seconds):
    settings = _settings(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/0", CELERY_BROKER_TIMEOUT_SECONDS=seconds)

    assert _broker_timeouts(settings) == {int(seconds)}


@pytest.mark.parametrize("value", ["0", "61", "-3", "soon", "2.5", ""])
def test_a_wrong_broker_timeout_fails_naming_the_variable(tmp_path, value):
    with pytest.raises(SettingsError, match="CELERY_BROKER_TIMEOUT_SECONDS"):
        _settings(tmp_path, CELERY_BROKER_TIMEOUT_SECONDS=value)


def test_rows_of_a_gone_worker_are_taken_back_after_thirty_seconds_by_default(tmp_path):
    settings = _settings(tmp_path)

    assert settings.passback_orphan_seconds == 30
    assert settings.passback_stuck_seconds == 300


@pytest.mark.parametrize("seconds", ["0", "45", "3600"])
def test_the_delay_for_rows_of_a_gone_worker_follows_its_setting(tmp_path, seconds):
    assert _settings(tmp_path, PASSBACK_ORPHAN_SECONDS=seconds).passback_orphan_seconds == int(seconds)


@pytest.mark.parametrize("value", ["-1", "3601", "half a minute", ""])
def test_a_wrong_delay_for_rows_of_a_gone_worker_fails_naming_the_variable(tmp_path, value):
    with pytest.raises(SettingsError, match="PASSBACK_ORPHAN_SECONDS"):
        _settings(tmp_path, PASSBACK_ORPHAN_SECONDS=value)
