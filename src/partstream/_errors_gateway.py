"""The AI Gateway errors of :mod:`partstream.errors` (names as in ``@ai-sdk/gateway``).

Re-exported by :mod:`partstream.errors`, whose docstring draws the whole tree.
"""

from __future__ import annotations

from typing import Any

from ._errors_base import PartstreamError, is_retryable_status

__all__ = [
    "GatewayAuthenticationError",
    "GatewayError",
    "GatewayFailedDependencyError",
    "GatewayForbiddenError",
    "GatewayInternalServerError",
    "GatewayInvalidRequestError",
    "GatewayModelNotFoundError",
    "GatewayNotFoundError",
    "GatewayRateLimitError",
    "GatewayResponseError",
    "GatewayTimeoutError",
]


class GatewayError(PartstreamError):
    """Base of the AI Gateway errors.

    ``status_code`` is the HTTP status (each class has the reference's default),
    ``error_type`` the Gateway's ``error.type``, ``generation_id`` the Gateway's
    generation id when it sent one (the message then ends with ``[<id>]``, as in
    the AI SDK) and ``is_retryable`` follows the AI SDK rule (408, 409, 429, 5xx).
    """

    error_type: str = "gateway_error"
    default_status_code: int = 500

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        cause: BaseException | None = None,
        generation_id: str | None = None,
        is_retryable: bool | None = None,
    ) -> None:
        super().__init__(f"{message} [{generation_id}]" if generation_id else message)
        self.status_code = status_code if status_code is not None else self.default_status_code
        self.generation_id = generation_id
        self.is_retryable = (
            is_retryable if is_retryable is not None else is_retryable_status(self.status_code)
        )
        if cause is not None:
            self.__cause__ = cause


class GatewayAuthenticationError(GatewayError):
    """Missing or rejected Gateway credentials."""

    error_type = "authentication_error"
    default_status_code = 401


class GatewayInvalidRequestError(GatewayError):
    """The Gateway rejected the request as malformed."""

    error_type = "invalid_request_error"
    default_status_code = 400


class GatewayRateLimitError(GatewayError):
    """The Gateway rate limit was hit."""

    error_type = "rate_limit_exceeded"
    default_status_code = 429


class GatewayModelNotFoundError(GatewayError):
    """The requested model is not available on the Gateway."""

    error_type = "model_not_found"
    default_status_code = 404

    def __init__(self, message: str, *, model_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.model_id = model_id


class GatewayInternalServerError(GatewayError):
    """The Gateway failed internally."""

    error_type = "internal_server_error"
    default_status_code = 500


class GatewayFailedDependencyError(GatewayError):
    """A dependency the request relies on is not available on the credentials or provider used."""

    error_type = "failed_dependency"
    default_status_code = 424


class GatewayResponseError(GatewayError):
    """The Gateway answered with something that is not a valid response or error.

    ``response`` is the (bounded) body that did not fit; ``validation_error`` says why.
    """

    error_type = "response_error"
    default_status_code = 502

    def __init__(
        self,
        message: str,
        *,
        response: Any = None,
        validation_error: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.response = response
        self.validation_error = validation_error


class GatewayForbiddenError(GatewayError):
    """The request was refused by policy (such as a routing rule), not for bad credentials."""

    error_type = "forbidden"
    default_status_code = 403

    def __init__(self, message: str, *, rule_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.rule_id = rule_id


class GatewayNotFoundError(GatewayError):
    """A Gateway resource (not a model) does not exist or is not visible to the caller."""

    error_type = "not_found"
    default_status_code = 404


class GatewayTimeoutError(GatewayError):
    """The request to the Gateway timed out on this side before an answer came."""

    error_type = "timeout_error"
    default_status_code = 408


for _name in __all__:
    globals()[_name].__module__ = "partstream.errors"
