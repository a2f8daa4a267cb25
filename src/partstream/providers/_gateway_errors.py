"""Gateway error responses to the Gateway error classes, and the credential guidance.

Sans-IO: takes a status and a parsed body, returns an exception to raise. The
mapping follows the AI SDK's ``createGatewayErrorFromResponse``: the body must be
``{"error": {"message": str, "type"?: str, "param"?: any, "code"?: str | int},
"generationId"?: str}``; ``error.type`` picks the class; anything else is a
:class:`GatewayResponseError` that keeps the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from ..errors import (
    GatewayAuthenticationError,
    GatewayError,
    GatewayFailedDependencyError,
    GatewayForbiddenError,
    GatewayInternalServerError,
    GatewayInvalidRequestError,
    GatewayModelNotFoundError,
    GatewayNotFoundError,
    GatewayRateLimitError,
    GatewayResponseError,
    GatewayTimeoutError,
)

__all__ = [
    "AuthMethod",
    "authentication_error",
    "gateway_error_from_response",
    "timeout_error",
]

AuthMethod = Literal["api-key", "oidc"]

_API_KEYS_PAGE: Final = "https://vercel.com/d?to=%2F%5Bteam%5D%2F%7E%2Fai%2Fapi-keys"
#: How the messages name the credential argument (the AI SDK says "'apiKey' option").
_API_KEY_ARGUMENT: Final = "'api_key' argument"
#: Where partstream looks for the OIDC token (the AI SDK's helper finds it itself).
_INTO_OIDC_VARIABLE: Final = " into VERCEL_OIDC_TOKEN"


def authentication_error(
    auth_method: AuthMethod | None,
    *,
    status_code: int = 401,
    cause: BaseException | None = None,
    generation_id: str | None = None,
) -> GatewayAuthenticationError:
    """A GatewayAuthenticationError whose message says what to do for ``auth_method``.

    ``None`` means no credential was found at all. The message never contains the
    credential itself.
    """
    # The AI SDK's wording (GatewayAuthenticationError.createContextualError), with
    # the option named the Python way: 'api_key' argument for its 'apiKey' option.
    if auth_method == "api-key":
        message = (
            "AI Gateway authentication failed: Invalid API key or token.\n\n"
            f"Create a new API key: {_API_KEYS_PAGE}\n\n"
            f"Provide an API key or Vercel access token via {_API_KEY_ARGUMENT} or "
            "'AI_GATEWAY_API_KEY' environment variable."
        )
    elif auth_method == "oidc":
        message = (
            "AI Gateway authentication failed: Invalid OIDC token.\n\n"
            "Run 'npx vercel link' to link your project, then 'vc env pull' to fetch "
            f"the token{_INTO_OIDC_VARIABLE}.\n\n"
            f"Alternatively, use an API key: {_API_KEYS_PAGE}\n"
            f"or pass a Vercel access token via the {_API_KEY_ARGUMENT}."
        )
    else:
        message = (
            "AI Gateway authentication failed: No authentication provided.\n\n"
            "Option 1 - API key:\n"
            f"Create an API key: {_API_KEYS_PAGE}\n"
            f"Provide via {_API_KEY_ARGUMENT} or 'AI_GATEWAY_API_KEY' environment variable.\n\n"
            "Option 2 - Vercel access token:\n"
            "Pass a Vercel personal access token or Vercel app access token via the "
            f"{_API_KEY_ARGUMENT}.\n\n"
            "Option 3 - OIDC token:\n"
            "Run 'npx vercel link' to link your project, then 'vc env pull' to fetch the "
            f"token{_INTO_OIDC_VARIABLE}."
        )
    return GatewayAuthenticationError(
        message, status_code=status_code, cause=cause, generation_id=generation_id
    )


def timeout_error(detail: str, *, cause: BaseException | None = None) -> GatewayTimeoutError:
    """A client-side timeout, with the hint to raise the timeout."""
    return GatewayTimeoutError(
        f"Gateway request timed out: {detail}. This timeout is on this side; raise it "
        "with create_gateway(timeout=...) or pass an httpx.AsyncClient with a longer one.",
        cause=cause,
    )


def _valid_error_body(body: Any) -> bool:
    if not isinstance(body, Mapping):
        return False
    error = body.get("error")
    if not isinstance(error, Mapping) or not isinstance(error.get("message"), str):
        return False
    kind = error.get("type")
    code = error.get("code")
    generation_id = body.get("generationId")
    return (
        (kind is None or isinstance(kind, str))
        and (code is None or (isinstance(code, str | int) and not isinstance(code, bool)))
        and (generation_id is None or isinstance(generation_id, str))
    )


def gateway_error_from_response(
    *,
    status_code: int,
    body: Any,
    auth_method: AuthMethod | None = None,
    cause: BaseException | None = None,
    default_message: str = "Gateway request failed",
) -> GatewayError:
    """The Gateway error for an error response (``body`` is its parsed JSON, or text)."""
    if not _valid_error_body(body):
        generation_id = body.get("generationId") if isinstance(body, Mapping) else None
        return GatewayResponseError(
            f"Invalid error response format: {default_message}",
            status_code=status_code,
            response=body,
            validation_error="expected {error: {message: string, type?: string}}",
            cause=cause,
            generation_id=generation_id if isinstance(generation_id, str) else None,
        )
    error: Mapping[str, Any] = body["error"]
    message: str = error["message"]
    kind = error.get("type")
    param = error.get("param")
    generation_id = body.get("generationId")
    common: dict[str, Any] = {
        "status_code": status_code,
        "cause": cause,
        "generation_id": generation_id,
    }
    if kind == "authentication_error":
        return authentication_error(auth_method, **common)
    if kind == "invalid_request_error":
        return GatewayInvalidRequestError(message, **common)
    if kind == "rate_limit_exceeded":
        return GatewayRateLimitError(message, **common)
    if kind == "model_not_found":
        model_id = param.get("modelId") if isinstance(param, Mapping) else None
        return GatewayModelNotFoundError(
            message, model_id=model_id if isinstance(model_id, str) else None, **common
        )
    if kind == "not_found":
        return GatewayNotFoundError(message, **common)
    if kind == "failed_dependency":
        return GatewayFailedDependencyError(message, **common)
    if kind == "forbidden":
        rule_id = param.get("ruleId") if isinstance(param, Mapping) else None
        return GatewayForbiddenError(
            message, rule_id=rule_id if isinstance(rule_id, str) else None, **common
        )
    # internal_server_error and every type this version does not know.
    return GatewayInternalServerError(message, **common)
