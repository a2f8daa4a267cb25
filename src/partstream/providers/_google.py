"""The Google provider and its Interactions language model.

``create_google(...)`` → :class:`GoogleProvider`; ``.interactions(model_id)`` (or
``agent=`` / ``managed_agent=``) → :class:`InteractionsModel` with ``generate``,
``stream`` and ``resume``. The model composes the sans-IO codecs
(:mod:`partstream.codecs.interactions`) with the SSE transport and the pipeline;
this module holds the generate path, :mod:`._google_stream` the streaming one.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, final

import attrs
import httpx

from .. import errors, parts
from ..codecs import interactions as codec
from ..transports.sse import ResumePolicy
from ._google_cursor import InteractionCursor
from ._google_http import (
    API_REVISION,
    DEFAULT_BASE_URL,
    DEFAULT_CANCEL_TIMEOUT,
    DEFAULT_MAX_RESPONSE_SIZE,
    ApiConfig,
    Secret,
    send_json,
)
from ._google_poll import PollingPolicy, is_terminal_status, poll_until_terminal
from ._google_stream import DEFAULT_RESUME_POLICY, InteractionStream, StreamPlan

__all__ = [
    "GenerateResult",
    "GoogleProvider",
    "InteractionsModel",
    "RequestInfo",
    "ResponseInfo",
    "create_google",
]


def _has_line_break(value: str) -> bool:
    return "\r" in value or "\n" in value


def _interaction_id(value: object) -> str | None:
    # ``store: false`` runs have no id (generate) or ``""`` (streams): both mean none.
    return value if isinstance(value, str) and value else None


@attrs.frozen
class _Call:
    prepared: codec.PreparedRequest
    headers: dict[str, str]
    include_raw_chunks: bool


@final
@attrs.frozen
class RequestInfo:
    """What was sent: the request body (after ``stream``/``background`` were added)."""

    body: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"body": self.body}


@final
@attrs.frozen
class ResponseInfo:
    """What came back: interaction id, creation time, model, headers and the raw body."""

    id: str | None = None
    timestamp: _dt.datetime | None = None
    model_id: str | None = None
    headers: dict[str, str] = attrs.field(factory=dict)
    body: Any = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        if self.timestamp is not None:
            out["timestamp"] = parts.format_timestamp(self.timestamp)
        if self.model_id is not None:
            out["modelId"] = self.model_id
        out["headers"] = dict(self.headers)
        if self.body is not None:
            out["body"] = self.body
        return out


@final
@attrs.frozen
class GenerateResult:
    """The result of :meth:`InteractionsModel.generate` (LanguageModelV4GenerateResult)."""

    content: tuple[parts.Content, ...]
    finish_reason: parts.FinishReason
    usage: parts.Usage
    warnings: tuple[parts.Warning, ...]
    provider_metadata: parts.ProviderMetadata | None
    request: RequestInfo
    response: ResponseInfo

    @property
    def text(self) -> str:
        """The concatenated text content."""
        return "".join(c.text for c in self.content if isinstance(c, parts.Text))

    def to_dict(self) -> dict[str, Any]:
        """The AI SDK JSON shape (camelCase keys, absent values omitted)."""
        out: dict[str, Any] = {
            "content": [c.to_dict() for c in self.content],
            "finishReason": self.finish_reason.to_dict(),
            "usage": self.usage.to_dict(),
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if self.provider_metadata is not None:
            out["providerMetadata"] = self.provider_metadata
        out["request"] = self.request.to_dict()
        out["response"] = self.response.to_dict()
        return out


@final
class InteractionsModel:
    """A Gemini model or agent behind the Interactions API (``POST {base}/interactions``).

    ``await generate(prompt=..., **options)`` returns a :class:`GenerateResult`;
    ``async with stream(prompt=..., **options) as s: async for part in s`` yields
    stream parts; ``resume(cursor)`` continues a background stream from an
    :class:`InteractionCursor`, in this process or another one.
    """

    __slots__ = ("_config", "_generate_id", "_polling", "_resume", "agent", "model_id")

    def __init__(
        self,
        config: ApiConfig,
        *,
        model_id: str,
        agent: str | None,
        generate_id: Callable[[], str],
        polling: PollingPolicy,
        resume: ResumePolicy,
    ) -> None:
        self._config = config
        self.model_id = model_id
        self.agent = agent
        self._generate_id = generate_id
        self._polling = polling
        self._resume = resume

    @property
    def provider(self) -> str:
        """``<provider name>.interactions`` (``google.generative-ai.interactions`` by default)."""
        return f"{self._config.name}.interactions"

    def __repr__(self) -> str:
        what = f"agent={self.agent!r}" if self.agent is not None else f"{self.model_id!r}"
        return f"InteractionsModel({what}, base_url={self._config.base_url!r})"

    def _target(self) -> codec.InteractionsTarget:
        if self.agent is not None:
            return codec.InteractionsTarget(agent=self.agent)
        return codec.InteractionsTarget(self.model_id)

    def _prepare(self, prompt: Any, stream: bool, options: dict[str, Any]) -> _Call:
        # ``headers`` and ``include_raw_chunks`` shape the exchange, not the body.
        headers = options.pop("headers", None)
        raw = options.pop("include_raw_chunks", None)
        prepared = codec.prepare_request(self._target(), prompt=prompt, stream=stream, **options)
        return _Call(prepared, self._config.request_headers(headers), bool(raw))

    # -- generate ------------------------------------------------------------------------

    async def generate(self, prompt: Any, **call_options: Any) -> GenerateResult:
        """``POST {base}/interactions`` and return the result (polling background runs).

        Call options follow the AI SDK's LanguageModelV3 options in Python spelling
        (``max_output_tokens``, ``temperature``, ``tools``, ``provider_options``,
        ``headers``, ...). An agent's answer, or any ``background: true`` answer, that
        is not terminal yet is polled with ``GET {base}/interactions/{id}`` until it is
        (AI SDK 4.0.95). Cancelling the call cancels the run on the server; passing
        the polling limit raises :class:`~partstream.errors.PollingTimeoutError` and
        leaves the run alone.
        """
        call = self._prepare(prompt, False, call_options)
        prepared, headers = call.prepared, call.headers
        timeout_ms = prepared.polling_timeout_ms
        url = self._config.url("interactions")
        async with self._config.client() as client:
            posted = await send_json(self._config, client, "POST", url, headers, prepared.body)
            response = posted
            polls = self.agent is not None or prepared.background
            if polls and not is_terminal_status(posted.value.get("status")):
                response = await poll_until_terminal(
                    self._config,
                    client,
                    _interaction_id(posted.value.get("id")),
                    headers,
                    self._polling,
                    timeout=timeout_ms / 1000.0 if timeout_ms is not None else None,
                )
        return self._result(prepared.body, prepared.warnings, response.value, response.headers)

    def _result(
        self,
        body: dict[str, Any],
        warnings: list[parts.Warning],
        value: dict[str, Any],
        headers: dict[str, str],
    ) -> GenerateResult:
        # The applied tier: the body's ``service_tier`` wins over the header fallback.
        out = codec.generate_outputs(
            value,
            generate_id=self._generate_id,
            header_service_tier=headers.get("x-gemini-service-tier"),
        )
        return GenerateResult(
            content=out.content,
            finish_reason=out.finish_reason,
            usage=out.usage,
            warnings=tuple(warnings),
            provider_metadata=out.provider_metadata,
            request=RequestInfo(body=body),
            response=ResponseInfo(
                id=out.interaction_id,
                timestamp=out.timestamp,
                model_id=out.model_id,
                headers=headers,
                body=value,
            ),
        )

    # -- stream --------------------------------------------------------------------------

    def stream(self, prompt: Any, **call_options: Any) -> InteractionStream:
        """Stream the call's parts: ``async with model.stream(...) as s: async for p in s``.

        Without ``background`` this is ``POST {base}/interactions`` with ``stream:
        true``. With ``provider_options={"google": {"background": True}}`` the POST
        starts a background run and its events are streamed from
        ``GET {base}/interactions/{id}?stream=true`` (resuming with ``last_event_id``
        when the connection drops); such a stream has a portable :attr:`cursor
        <InteractionStream.cursor>`, and leaving the block before the run finished
        cancels it on the server (unless :meth:`InteractionStream.detach` was called).
        """
        call = self._prepare(prompt, True, call_options)
        return InteractionStream(
            StreamPlan(
                config=self._config,
                generate_id=self._generate_id,
                resume_policy=self._resume,
                headers=call.headers,
                body=call.prepared.body,
                warnings=tuple(call.prepared.warnings),
                background=call.prepared.background,
                include_raw_chunks=call.include_raw_chunks,
            )
        )

    def resume(
        self,
        cursor: InteractionCursor | Mapping[str, Any] | str,
        *,
        headers: Mapping[str, str | None] | None = None,
    ) -> InteractionStream:
        """Continue a background stream from ``cursor`` (its dict or JSON form works too).

        The new stream yields exactly the parts that the original stream had not
        delivered yet when the cursor was taken: nothing lost, nothing repeated. It
        restores the stream transform from the cursor's state and sends ``GET
        {base}/interactions/{id}?stream=true&last_event_id=<the cursor's event>``
        (no request at all when the cursor is past the terminal event).
        """
        if isinstance(cursor, str):
            cursor = InteractionCursor.from_json(cursor)
        elif not isinstance(cursor, InteractionCursor):
            cursor = InteractionCursor.from_dict(cursor)
        return InteractionStream(
            StreamPlan(
                config=self._config,
                generate_id=self._generate_id,
                resume_policy=self._resume,
                headers=self._config.request_headers(headers),
                body=None,
                warnings=cursor.warnings,
                background=True,
                include_raw_chunks=cursor.include_raw_chunks,
                cursor=cursor,
            )
        )


@final
class GoogleProvider:
    """Factory of Google models sharing one configuration (key, base URL, headers, client).

    Without an ``http_client`` of yours, each call makes its own connection. Open the
    provider to share connections between calls: ``async with create_google(...) as
    google:`` (or ``await google.aclose()`` when done with it) keeps one connection
    pool for the calls made inside, in that event loop, and closes it at the end.
    """

    __slots__ = ("_config", "_generate_id")

    def __init__(self, config: ApiConfig, generate_id: Callable[[], str]) -> None:
        self._config = config
        self._generate_id = generate_id

    async def __aenter__(self) -> GoogleProvider:
        if self._config.http_client is None:
            self._config.shared.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the provider's shared connections (your ``http_client`` is left open).

        Calls made afterwards use a client of their own again. Close the provider
        after its streams: a stream still reading from a shared connection fails.
        """
        await self._config.shared.aclose()

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def __repr__(self) -> str:
        key = "set" if self._config.api_key is not None else "from environment"
        return f"GoogleProvider(base_url={self._config.base_url!r}, api_key=<{key}>)"

    def interactions(
        self,
        model_id: str | None = None,
        *,
        agent: str | None = None,
        managed_agent: str | None = None,
        polling: PollingPolicy | None = None,
        resume: ResumePolicy | None = None,
    ) -> InteractionsModel:
        """An Interactions API model: a model id, a Gemini ``agent`` or a ``managed_agent``.

        ``polling`` tunes how ``generate`` waits for background agent runs;
        ``resume`` how background streams reconnect after a drop.
        """
        given = [v for v in (model_id, agent, managed_agent) if v is not None]
        if len(given) != 1:
            raise errors.InvalidArgumentError(
                "pass exactly one of model_id, agent= or managed_agent=", argument="model_id"
            )
        name: Any = given[0]
        if not isinstance(name, str) or not name:
            raise errors.InvalidArgumentError(
                "the model or agent name must be a non-empty string", argument="model_id"
            )
        return InteractionsModel(
            self._config,
            model_id=name,
            agent=None if model_id is not None else name,
            generate_id=self._generate_id,
            polling=polling if polling is not None else PollingPolicy(),
            resume=resume if resume is not None else DEFAULT_RESUME_POLICY,
        )


def create_google(
    *,
    api_key: str | None = None,
    base_url: str | None = DEFAULT_BASE_URL,
    headers: Mapping[str, str | None] | None = None,
    http_client: httpx.AsyncClient | None = None,
    generate_id: Callable[[], str] | None = None,
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    cancel_timeout: float = DEFAULT_CANCEL_TIMEOUT,
    api_revision: str | None = None,
    name: str = "google.generative-ai",
) -> GoogleProvider:
    """Create a Google provider.

    ``api_key`` defaults to the ``GOOGLE_GENERATIVE_AI_API_KEY`` environment variable
    (read at request time) and is sent as ``x-goog-api-key``; it never appears in a
    ``repr``, a log line or an error message. ``http_client`` is an
    ``httpx.AsyncClient`` you own (partstream never closes it); without one each call
    uses a client of its own, unless the provider is open (``async with
    create_google(...) as google``), which shares one connection pool between its
    calls until the block ends. ``generate_id`` makes ids where the API gives none.
    ``api_revision`` pins the Interactions API revision (sent as ``Api-Revision`` on
    every request, e.g. :data:`API_REVISION`); by default no revision is named and
    the API serves its current one, as with the AI SDK. ``name`` is the provider
    name the models report (``model.provider`` is ``<name>.interactions``).
    """
    if max_response_size < 1:
        raise errors.InvalidArgumentError(
            "max_response_size must be at least 1", argument="max_response_size"
        )
    if not cancel_timeout >= 0:
        raise errors.InvalidArgumentError(
            "cancel_timeout must be >= 0 seconds", argument="cancel_timeout"
        )
    revision: object = api_revision
    if revision is not None and (
        not isinstance(revision, str) or not revision or _has_line_break(revision)
    ):
        raise errors.InvalidArgumentError(
            "api_revision must be a non-empty string without line breaks, such as "
            f"{API_REVISION!r}",
            argument="api_revision",
        )
    given_name: object = name
    if not isinstance(given_name, str) or not given_name:
        raise errors.InvalidArgumentError("name must be a non-empty string", argument="name")
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    config = ApiConfig(
        base_url=base,
        api_key=Secret(api_key) if api_key is not None else None,
        headers=dict(headers or {}),
        http_client=http_client,
        max_response_size=max_response_size,
        cancel_timeout=cancel_timeout,
        api_revision=api_revision,
        name=name,
    )
    return GoogleProvider(config, generate_id or codec.default_generate_id)
