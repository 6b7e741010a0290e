"""The error tree. Every error the service raises on purpose derives from VideoforgeError.

VideoforgeError                 base; `http_status` is what the API answers
├── Unauthorized                401: an API key (or a signed URL) is needed
├── NotFound                    404: no such file, job or output
├── InvalidRequest              422: a value the API cannot accept
│   └── RefusedInput            422: an upload of a kind or size the rules refuse
├── Conflict                    409: the request does not fit the job's state
├── UnsupportedMedia            415: the upload is not a video we can transcode
├── UploadTooLarge              413: the upload exceeds MAX_UPLOAD_BYTES
├── RequestTimeout              408: the client stopped sending its upload
├── RangeNotSatisfiable         416: a Range header outside the file
├── TransientError              503: storage or broker trouble; jobs retry these
│   └── SigningKeyMissing       503: the URL signing key is gone from Redis (never signs empty)
└── MediaError                  422: the input or ffmpeg failed; jobs never retry these
    └── JobTimeout              the job ran past its time limit

StartupError (SystemExit)       videoforge cannot start; its message is the one line shown
"""

from __future__ import annotations


class VideoforgeError(Exception):
    """Raised for any failure videoforge reports in words."""

    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(VideoforgeError):
    """Raised when a request needs an API key and has none that is valid."""

    http_status = 401


class NotFound(VideoforgeError):
    """Raised when a file, job or output does not exist."""

    http_status = 404


class InvalidRequest(VideoforgeError):
    """Raised when a request value is malformed or out of range."""

    http_status = 422


class RefusedInput(InvalidRequest):
    """Raised when an upload breaks an input rule (playlist, list, size, duration, streams)."""


class RequestTimeout(VideoforgeError):
    """Raised when a client stops sending its upload."""

    http_status = 408


class Conflict(VideoforgeError):
    """Raised when a request does not fit the current state (e.g. cancelling a finished job)."""

    http_status = 409


class UnsupportedMedia(VideoforgeError):
    """Raised when an upload is empty, not a video, or not decodable."""

    http_status = 415


class UploadTooLarge(VideoforgeError):
    """Raised when an upload passes MAX_UPLOAD_BYTES while streaming."""

    http_status = 413


class RangeNotSatisfiable(VideoforgeError):
    """Raised when a Range header lies outside the file."""

    http_status = 416

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


class TransientError(VideoforgeError):
    """Raised when storage or the broker fails in a way a retry may fix."""

    http_status = 503


class SigningKeyMissing(TransientError):
    """Raised when the shared URL-signing key cannot be had; URLs are never signed without."""


class MediaError(VideoforgeError):
    """Raised when ffmpeg fails on the input; retrying would fail the same way."""

    http_status = 422


class JobTimeout(MediaError):
    """Raised when a job runs past its time limit."""


class StartupError(SystemExit):
    """Raised when videoforge cannot start; the message is the one line users see."""

    def __init__(self, message: str) -> None:
        super().__init__(f"videoforge: {message}")
