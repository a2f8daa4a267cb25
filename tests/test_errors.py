"""The exception tree: one base, the three ways a connection ends kept apart."""

from __future__ import annotations

import builtins

import pytest

from partstream import errors


def test_every_error_is_a_partstream_error() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, errors.PartstreamError), name


def test_closed_by_you_broken_by_peer_and_protocol_violation_are_apart() -> None:
    assert not issubclass(errors.ClosedByYouError, errors.ClosedByPeerError)
    assert not issubclass(errors.ClosedByPeerError, errors.ClosedByYouError)
    assert issubclass(errors.ConnectionBrokenError, errors.ClosedByPeerError)
    assert not issubclass(errors.ProtocolError, errors.ConnectionClosed)
    assert not issubclass(errors.ConnectionClosed, errors.ProtocolError)


def test_limit_error_names_the_limit_and_the_option() -> None:
    exc = errors.LimitExceededError(limit="SSE event size", value=1024, option="max_event_size")
    assert "SSE event size" in str(exc)
    assert "1024" in str(exc)
    assert "max_event_size=" in str(exc)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (404, False),
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (503, True),
    ],
)
def test_api_call_error_retryable_follows_the_ai_sdk(status: int, retryable: bool) -> None:
    exc = errors.APICallError("boom", url="http://127.0.0.1/x", status_code=status)
    assert exc.is_retryable is retryable
    # The message is the server's, undecorated, as in the AI SDK; the status is a field.
    assert str(exc) == "boom"
    assert exc.status_code == status
    assert f"status_code={status}" in repr(exc)


def test_api_call_error_keeps_a_bounded_body() -> None:
    exc = errors.APICallError("boom", url="u", status_code=500, response_body="x" * 100_000)
    assert exc.response_body is not None
    assert len(exc.response_body) < errors.MAX_ERROR_BODY + 100
    assert exc.response_body.endswith("characters]")


def test_truncate_body_decodes_bytes_with_replacement() -> None:
    assert errors.truncate_body(b"ok\xff") == "ok\ufffd"
    assert errors.truncate_body(None) is None


def test_builtin_compatibility() -> None:
    assert issubclass(errors.TimeoutError, builtins.TimeoutError)
    assert issubclass(errors.InvalidArgumentError, ValueError)


def test_no_such_provider_reference_message_matches_the_reference() -> None:
    exc = errors.NoSuchProviderReferenceError(provider="google", reference={"openai": "file-abc"})
    assert str(exc) == (
        "No provider reference found for provider 'google'. Available providers: openai"
    )
