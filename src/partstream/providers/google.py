"""The Google provider: Gemini models and agents through the Interactions API.

``create_google(api_key=..., base_url=...).interactions("gemini-2.5-flash")`` (or
``agent=...`` / ``managed_agent=...``) gives an :class:`InteractionsModel`:

* ``await model.generate(prompt=..., **options)`` → :class:`GenerateResult`;
* ``async with model.stream(prompt=..., **options) as s: async for part in s`` →
  stream parts (:mod:`partstream.parts`);
* ``model.resume(cursor)`` continues a background stream from its
  :class:`InteractionCursor`, in any process.

Every request carries the key as ``x-goog-api-key``; ``Api-Revision`` only when
``create_google(api_revision=...)`` pins one (the AI SDK sends none).
"""

from ._google import GenerateResult as GenerateResult
from ._google import GoogleProvider as GoogleProvider
from ._google import InteractionsModel as InteractionsModel
from ._google import RequestInfo as RequestInfo
from ._google import ResponseInfo as ResponseInfo
from ._google import create_google as create_google
from ._google_cursor import InteractionCursor as InteractionCursor
from ._google_http import API_KEY_ENV as API_KEY_ENV
from ._google_http import API_REVISION as API_REVISION
from ._google_http import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from ._google_poll import PollingPolicy as PollingPolicy
from ._google_stream import DEFAULT_RESUME_POLICY as DEFAULT_RESUME_POLICY
from ._google_stream import InteractionStream as InteractionStream

__all__ = [
    "API_KEY_ENV",
    "API_REVISION",
    "DEFAULT_BASE_URL",
    "DEFAULT_RESUME_POLICY",
    "GenerateResult",
    "GoogleProvider",
    "InteractionCursor",
    "InteractionStream",
    "InteractionsModel",
    "PollingPolicy",
    "RequestInfo",
    "ResponseInfo",
    "create_google",
]
