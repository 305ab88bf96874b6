"""A file is checked in a child process that its limits stop: a bomb, a hang, a spin or a greedy parser is refused."""

from __future__ import annotations

import os
import signal
import time

import pytest

from assessment.errors import UploadRejected
from assessment.upload_check import CheckedFile, message_from_json, message_to_json
from assessment.uploads import identify
from config.settings import FileCheckLimits
from tests.support.documents import AUTHOR, docx_bomb, pdf_naming_its_author
from workers import isolation
from workers.isolation import Refused, run_isolated

LIMITS = FileCheckLimits()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return docx_bomb(190)


@pytest.fixture
def hostile_child(monkeypatch):
    monkeypatch.setattr(isolation, "CHILD_MODULE", "tests.support.hostile_check")


def test_a_file_that_passes_comes_back_stripped_from_the_child():
    run = run_isolated(pdf_naming_its_author(), "essay.pdf", ["pdf"], LIMITS)

    assert isinstance(run.outcome, CheckedFile) and run.outcome.kind == "pdf" and run.outcome.extension == "pdf"
    assert run.outcome.data.startswith(b"%PDF") and AUTHOR.encode() not in run.outcome.data
    assert 0 < run.peak_memory_bytes < LIMITS.memory_mb * 2**20


def test_a_file_given_as_a_local_file_is_fed_to_the_child_in_chunks_with_the_same_outcome(tmp_path):
    # As a worker gives it: the stored file, or its temporary copy fetched from S3.
    path = tmp_path / "essay.pdf"
    path.write_bytes(pdf_naming_its_author())
    with path.open("rb") as file:
        run = run_isolated(file, "essay.pdf", ["pdf"], LIMITS)

    assert isinstance(run.outcome, CheckedFile) and run.outcome.kind == "pdf"
    assert run.outcome.data.startswith(b"%PDF") and AUTHOR.encode() not in run.outcome.data


def test_a_refusal_comes_back_as_a_translatable_message_with_its_parameters():
    run = run_isolated(pdf_naming_its_author(), "essay.pdf", ["docx"], LIMITS)

    assert isinstance(run.outcome, Refused) and run.outcome.limit is None
    with pytest.raises(UploadRejected) as expected:
        identify("essay.pdf", pdf_naming_its_author(), ["docx"])
    assert run.outcome.message == expected.value.message
    assert run.outcome.message.template == expected.value.message.template  # type: ignore[attr-defined]
    assert message_from_json(message_to_json(run.outcome.message)).params == run.outcome.message.params


def test_a_decompression_bomb_is_refused_within_two_seconds_and_256_mb(bomb):
    run = run_isolated(bomb, "essay.docx", ["docx"], LIMITS)

    assert isinstance(run.outcome, Refused) and "unpacks to far more data" in run.outcome.message
    assert run.peak_memory_bytes < 256 * 2**20
    assert run.seconds < 5  # 0.2 s on an idle machine; the margin is for a loaded one


def test_a_package_whose_parts_stay_within_the_limits_is_not_taken_for_a_bomb():
    # A real document's body compresses about ten to one: far from the ratio a bomb needs.
    from tests.support.documents import docx_naming_its_author

    run = run_isolated(docx_naming_its_author(), "essay.docx", ["docx"], LIMITS)

    assert isinstance(run.outcome, CheckedFile) and run.outcome.kind == "docx"


def test_a_check_that_hangs_is_killed_at_the_wall_clock_limit_and_refused_as_too_complex(hostile_child):
    started = time.monotonic()

    run = run_isolated(b"hang " + b"x" * 100, "essay.pdf", ["pdf"], FileCheckLimits(wall_seconds=2))

    assert 2 <= time.monotonic() - started < 10
    assert isinstance(run.outcome, Refused) and run.outcome.limit == "time"
    assert "too complex to check" in run.outcome.message and "smaller" in run.outcome.message


def test_a_check_that_spins_is_stopped_by_its_cpu_limit(hostile_child):
    run = run_isolated(b"spin", "essay.pdf", ["pdf"], FileCheckLimits(cpu_seconds=1, wall_seconds=30))

    assert isinstance(run.outcome, Refused) and run.outcome.limit == "cpu"
    assert run.seconds < 25  # the CPU limit, not the wall clock, ended it


def test_a_check_that_grows_is_stopped_by_its_memory_limit(hostile_child):
    run = run_isolated(b"grow", "essay.pdf", ["pdf"], FileCheckLimits(memory_mb=200))

    assert isinstance(run.outcome, Refused) and run.outcome.limit == "memory"
    assert "too complex to check" in run.outcome.message


def test_a_child_that_crashes_refuses_the_file_with_a_way_on_and_leaves_no_process(hostile_child, caplog):
    run = run_isolated(b"crash", "essay.pdf", ["pdf"], LIMITS)

    assert isinstance(run.outcome, Refused) and run.outcome.limit is None
    assert "could not be checked" in run.outcome.message and "tell your instructor" in run.outcome.message
    assert "a bug in a parser" in caplog.text  # the child's traceback reaches the log, not the student


def test_the_child_limits_itself_before_reading_anything():
    from workers.isolated_check import limit_self

    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child only
        import resource
        limit_self(3, 300)
        ok = (resource.getrlimit(resource.RLIMIT_CPU) == (3, 4)
              and resource.getrlimit(resource.RLIMIT_AS) == (300 * 2**20, 300 * 2**20))
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert signal.SIGXCPU  # the signal the soft CPU limit sends, mapped to "cpu" by the parent
