"""moto's standalone S3 server on a free port of 127.0.0.1: a real S3 API for the tests, a fresh bucket each."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import requests

from assessment.object_storage import S3Location
from tests.support.processes import stop_process
from tests.support.redis_server import free_port

ACCESS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}


@dataclass
class S3Server:
    process: subprocess.Popen
    url: str
    log_file: Path

    def wait_until_serving(self, timeout: float = 60) -> S3Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"moto_server exited with {self.process.returncode}:\n{self.log_file.read_text()}")
            try:
                if requests.get(f"{self.url}/moto-api/data.json", timeout=2).ok:
                    return self
            except requests.RequestException:  # not listening yet
                pass
            time.sleep(0.05)
        raise AssertionError(f"moto_server did not answer within {timeout} s:\n{self.log_file.read_text()}")

    def client(self):
        return boto3.client("s3", endpoint_url=self.url, aws_access_key_id="testing",
                            aws_secret_access_key="testing", region_name="us-east-1")

    def new_bucket(self) -> str:
        bucket = f"peerlti-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def objects(self, bucket: str) -> dict[str, bytes]:
        client = self.client()
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}

    def env(self, bucket: str, prefix: str = "uploads") -> dict[str, str]:
        """The tool's settings for a bucket of this server."""
        return {"STORAGE_URL": f"s3://{bucket}/{prefix}", "S3_ENDPOINT_URL": self.url, **ACCESS}

    def location(self, bucket: str, prefix: str = "") -> S3Location:
        return S3Location(bucket=bucket, prefix=prefix, endpoint_url=self.url, region="us-east-1",
                          access_key_id="testing", secret_access_key="testing", addressing_style="path")

    def stop(self) -> None:
        stop_process(self.process)


def start_s3_server(log_file: Path) -> S3Server:
    port = free_port()
    with log_file.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output, stderr=subprocess.STDOUT,
        )
    return S3Server(process, f"http://127.0.0.1:{port}", log_file).wait_until_serving()
