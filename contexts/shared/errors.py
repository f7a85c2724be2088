"""Errors the API raises itself; ``api.problems`` renders each as RFC 9457 problem details."""

from __future__ import annotations


class ApiError(Exception):
    """An error with an HTTP status and a stable machine ``code``."""

    status = 400
    code = "bad_request"
    title = "Bad Request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: object,
    ):
        super().__init__(detail)
        if code is not None:
            self.code = code  # a more specific stable code than the class default
        self.detail = detail
        self.headers = headers
        self.extra = extra


class NotFound(ApiError):
    status, code, title = 404, "not_found", "Not Found"


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str = "Authentication required.", **extra: object) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "Forbidden"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "Conflict"


class Invalid(ApiError):
    status, code, title = 422, "invalid", "Unprocessable Content"


class RateLimited(ApiError):
    status, code, title = 429, "rate_limited", "Too Many Requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class PayloadTooLarge(ApiError):
    status, code, title = 413, "payload_too_large", "Content Too Large"
