"""S3 multipart uploads that clients send themselves (direct uploads): start one, presign a
URL per part, complete or abort it, and copy the finished object inside the bucket. The API
hands out URLs and never carries the bytes.

Part sizes: S3 takes at most 10,000 parts of at least 5 MiB (the last may be smaller), so a
part is MIN_PART_BYTES, or larger for a size that would need more parts."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from videoforge.errors import InvalidRequest, TransientError

MIB = 1024 * 1024
MIN_PART_BYTES = 16 * MIB  # fewer, larger PUTs than S3's 5 MiB floor
MAX_PARTS = 10_000
# S3's answers to a bad part list, which are the client's mistake (422), not an outage.
_CLIENT_MISTAKES = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "NoSuchUpload"}


@dataclass(frozen=True)
class PartPlan:
    part_bytes: int
    count: int


def plan_parts(size_bytes: int) -> PartPlan:
    """Part size (whole MiB) and count for an upload of `size_bytes`."""
    part = max(MIN_PART_BYTES, math.ceil(size_bytes / MAX_PARTS / MIB) * MIB)
    return PartPlan(part, max(1, math.ceil(size_bytes / part)))


class S3Multipart:
    def __init__(self, client: Any, bucket: str, presign_client: Any | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.presign_client = presign_client or client

    def start(self, key: str, content_type: str) -> str:
        reply = self._call("create_multipart_upload", Key=key, ContentType=content_type)
        return str(reply["UploadId"])

    def part_urls(self, key: str, upload_id: str, count: int, expires_s: int) -> list[str]:
        """A presigned PUT URL per part, numbered from 1 (local computation, no request)."""
        return [
            str(self.presign_client.generate_presigned_url(
                "upload_part",
                Params={"Bucket": self.bucket, "Key": key, "UploadId": upload_id,
                        "PartNumber": number},
                ExpiresIn=expires_s,
            ))
            for number in range(1, count + 1)
        ]  # fmt: skip

    def complete(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        listed = [{"PartNumber": number, "ETag": etag} for number, etag in sorted(parts)]
        self._call("complete_multipart_upload", Key=key, UploadId=upload_id,
                   MultipartUpload={"Parts": listed})  # fmt: skip

    def abort(self, key: str, upload_id: str) -> None:
        with contextlib.suppress(InvalidRequest):  # already done or aborted: nothing to free
            self._call("abort_multipart_upload", Key=key, UploadId=upload_id)

    def copy(self, source_key: str, dest_key: str) -> None:
        """Copy inside the bucket (server side; multipart above 5 GiB, by boto3)."""
        try:
            self.client.copy({"Bucket": self.bucket, "Key": source_key}, self.bucket, dest_key)
        except (BotoCoreError, ClientError) as exc:
            raise TransientError(f"storage copy failed ({type(exc).__name__})") from exc

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _CLIENT_MISTAKES:
                raise InvalidRequest(
                    f"the upload's parts were refused by storage ({code})"
                ) from None
            raise TransientError(f"storage error ({code or 'unknown'})") from exc
        except BotoCoreError as exc:
            raise TransientError(f"storage unavailable ({type(exc).__name__})") from exc
