"""Benchmark of the student workflow on one instance of the tool and on two behind a round-robin balancer."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # runnable as `python benchmarks/cluster.py`

import workflow  # noqa: E402

from sandbox.keys import load_or_create_platform_key  # noqa: E402
from sandbox.registration import registration_record  # noqa: E402
from tests.support.round_robin import RoundRobinProxy  # noqa: E402
from tests.support.s3_server import S3Server, start_s3_server  # noqa: E402
from tests.support.services import postgres_database  # noqa: E402


def measure(instances: int, args: argparse.Namespace, s3: S3Server, work: Path) -> dict[str, object]:
    """The workflow's load through the balancer in front of `instances` gunicorn instances (config/gunicorn.py),
    sharing one PostgreSQL database and one S3 bucket; tasks eager in the web processes, or on Celery workers."""
    label = f"{instances}-instances"
    users, extra = workflow.class_of(args.students)
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database(args.server, prefix=f"peerlti_bench_cluster_{instances}"))
        ports = [workflow._free_port() for _ in range(instances)]
        proxy = RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports]).start()
        stack.callback(proxy.stop)
        sandbox_port = workflow._free_port()
        sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        instance = work / label
        (instance / "sandbox").mkdir(parents=True)
        shutil.copytree(work / "platform-key", instance / "sandbox", dirs_exist_ok=True)
        record = registration_record(workflow._sandbox_config(sandbox_url, proxy.url, Path(), extra))
        subprocess.run([sys.executable, "-c", workflow.PREPARE, str(ROOT), database_url, json.dumps(record)],  # noqa: S603
                       cwd=ROOT, check=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
        common = {"PEERLTI_ENV": "development", "DATABASE_URL": database_url, "SECRET_KEY": workflow.SECRET,
                  "TOOL_BASE_URL": proxy.url, "RATE_LIMIT_LOGIN": workflow.NO_LIMIT,
                  "RATE_LIMIT_LAUNCH": workflow.NO_LIMIT, "LIBREOFFICE": "off", "WEB_WORKERS": str(args.workers),
                  "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT), **s3.env(s3.new_bucket())}
        if args.broker:
            common["CELERY_BROKER_URL"] = args.broker
        sandbox_env = {"SANDBOX_BASE_URL": sandbox_url, "SANDBOX_TOOL_URL": proxy.url,
                       "SANDBOX_INSTANCE": str(instance / "sandbox"), "SANDBOX_EXTRA_LEARNERS": str(extra)}
        stack.enter_context(workflow._process(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{sandbox_port}",
             "--pythonpath", f"{ROOT},{ROOT / 'benchmarks'}", "workflow:sandbox_from_env()"],
            sandbox_env, ROOT, work / f"{label}-sandbox.log", sandbox_url + "/"))
        for index, port in enumerate(ports):
            env = common | {"PEERLTI_INSTANCE_PATH": str(instance / f"tool-{index}")}
            if args.broker:
                stack.enter_context(workflow._process(
                    [sys.executable, "-m", "celery", "--quiet", "-A", "workers.celery_app", "worker", "--concurrency",
                     "1", "--hostname", f"bench{index}@%h", "--loglevel", "WARNING"],
                    env, ROOT, work / f"{label}-worker-{index}.log", None))
            stack.enter_context(workflow._process(workflow._gunicorn(ROOT, port, args.workers, True), env, ROOT,
                                                  work / f"{label}-tool-{index}.log", f"http://127.0.0.1:{port}/"))
        result = workflow.run_workload(proxy.url, sandbox_url, users, args.concurrency)
        result.pop("link_id")
        answered = {f"instance_{index}": proxy.answered[index] for index in range(instances)}
        return {"instances": instances, "answered": answered} | result | {
            "database": workflow.check_database(database_url, len(users))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=os.environ.get("DATABASE_URL", workflow.DEFAULT_SERVER),
                        help="a PostgreSQL server URL; a throwaway database is made on it for each run")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16, help="students in flight at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each instance")
    parser.add_argument("--broker", help="a Redis URL: file checks go to one Celery worker per instance")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as directory:
        work = Path(directory)
        (work / "platform-key").mkdir()
        load_or_create_platform_key(work / "platform-key")
        s3 = start_s3_server(work / "moto.log")
        try:
            runs = [measure(count, args, s3, work) for count in (1, 2)]
        finally:
            s3.stop()
    one, two = runs
    out = {"bench": "cluster", "database": "postgresql", "storage": "S3 (moto server)", "balancer": "round robin",
           "cpus": os.cpu_count(),
           "tasks": f"celery workers on {args.broker}" if args.broker else "eager, in the web processes",
           "one_instance": one, "two_instances": two}
    if one.get("workflows_per_s"):
        out["throughput_ratio"] = round(float(two["workflows_per_s"]) / float(one["workflows_per_s"]), 2)  # type: ignore[arg-type]
    print(json.dumps(out, indent=1), flush=True)
    return 0 if all(run["database"]["ok"] for run in runs) else 1  # type: ignore[index]


if __name__ == "__main__":
    sys.exit(main())
