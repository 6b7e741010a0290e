"""S3-compatible storage (AWS S3, SeaweedFS, MinIO, Ceph RGW) through boto3, path-style."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from videoforge.errors import NotFound, StartupError, TransientError

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024
# Multipart above 16 MiB, in 16 MiB parts: memory stays bounded by a few parts per transfer.
TRANSFER = TransferConfig(multipart_threshold=16 * 1024**2, multipart_chunksize=16 * 1024**2)
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
_REFUSED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}


def endpoint_url(endpoint: str, secure: bool) -> str:
    """The seed's `host:port` (scheme from S3_SECURE), or a full URL as given."""
    if "://" in endpoint:
        return endpoint.rstrip("/")
    return f"{'https' if secure else 'http'}://{endpoint}"


def make_client(
    url: str,
    access_key: str | None,
    secret_key: str | None,
    region: str,
    read_timeout_s: float = 60,
    attempts: int = 3,
) -> Any:
    """A boto3 S3 client with path-style addressing, timeouts and standard retries."""
    config = Config(
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        retries={"max_attempts": attempts, "mode": "standard"},
        connect_timeout=5,
        read_timeout=read_timeout_s,
    )
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=config,
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translate(exc: Exception, key: str) -> Exception:
    if isinstance(exc, ClientError) and _code(exc) in _MISSING:
        return NotFound(f"{key} not found")
    if isinstance(exc, ClientError) and _code(exc) in _REFUSED:
        return TransientError(f"storage refused the request ({_code(exc)})")
    if isinstance(exc, ClientError):
        return TransientError(f"storage error ({_code(exc) or 'unknown'})")
    return TransientError(f"storage unavailable ({type(exc).__name__})")


class S3Storage:
    """Objects in one bucket. Uploads are whole or absent: S3 shows an object only once its
    (multipart) upload completes."""

    def __init__(self, client: Any, bucket: str, presign_client: Any | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.presign_client = presign_client or client

    def _call(self, key: str, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(**kwargs)
        except (ClientError, BotoCoreError, Boto3Error) as exc:
            # s3transfer wraps upload/download failures (5xx, resets) in Boto3Error subclasses.
            raise _translate(exc, key) from exc

    def put_file(self, key: str, path: Path) -> None:
        self._call(key, "upload_file", Filename=str(path), Bucket=self.bucket, Key=key,
                   Config=TRANSFER)  # fmt: skip

    def put_bytes(self, key: str, data: bytes) -> None:
        self._call(key, "put_object", Bucket=self.bucket, Key=key, Body=data)

    def fetch_file(self, key: str, dest: Path) -> None:
        self._call(key, "download_file", Bucket=self.bucket, Key=key, Filename=str(dest),
                   Config=TRANSFER)  # fmt: skip

    def size(self, key: str) -> int:
        head = self._call(key, "head_object", Bucket=self.bucket, Key=key)
        return int(head["ContentLength"])

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        # A ranged GET: only the bytes asked for cross the network.
        wanted = f"bytes={start}-{'' if end is None else end}"
        body = self._call(key, "get_object", Bucket=self.bucket, Key=key, Range=wanted)["Body"]
        return _chunks(body, key)

    def delete(self, key: str) -> None:
        self._call(key, "delete_object", Bucket=self.bucket, Key=key)

    def list_keys(self, prefix: str) -> Iterator[tuple[str, float]]:
        pages = self._call(prefix, "get_paginator", operation_name="list_objects_v2")
        try:
            for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["Key"], item["LastModified"].timestamp()
        except (ClientError, BotoCoreError, Boto3Error) as exc:
            raise _translate(exc, prefix) from exc

    def check(self) -> None:
        self._call(self.bucket, "head_bucket", Bucket=self.bucket)

    def presigned_url(
        self, key: str, expires_s: int, disposition: str | None = None, internal: bool = False
    ) -> str:
        """A time-limited GET URL on the public endpoint, or the one this process uses
        (`internal`); computed locally, no request."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if disposition:
            params["ResponseContentDisposition"] = disposition
        signer = self.client if internal else self.presign_client
        url: str = signer.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)
        return url

    def local_path(self, key: str) -> Path | None:
        return None  # objects are remote: readers use presigned_url

    def ensure_bucket(self) -> None:
        """Create the bucket when missing; refused credentials stop start-up with one line."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _code(exc) in _REFUSED:
                raise StartupError(f"S3 refused the credentials for bucket {self.bucket} "
                                   f"({_code(exc)})") from None  # fmt: skip
            if _code(exc) not in _MISSING:
                raise _translate(exc, self.bucket) from exc
        except BotoCoreError as exc:
            log.warning("S3 is not reachable yet (%s); continuing", exc)
            return
        log.info("creating bucket %s", self.bucket)
        self._call(self.bucket, "create_bucket", Bucket=self.bucket)


def _chunks(body: Any, key: str) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    except (ClientError, BotoCoreError) as exc:
        raise _translate(exc, key) from exc
    finally:
        body.close()
