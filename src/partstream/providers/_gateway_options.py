"""GatewayProviderOptions: the documented ``providerOptions.gateway`` fields, open to more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, final

import attrs

from ..errors import InvalidArgumentError

__all__ = ["GatewayProviderOptions"]

_KEY: Final = "json"


def _opt(key: str) -> Any:
    return attrs.field(default=None, metadata={_KEY: key}, kw_only=True)


def _frozen_extra(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return dict(value or {})


@final
@attrs.frozen
class GatewayProviderOptions:
    """Routing and policy options the AI Gateway reads from ``providerOptions.gateway``.

    Snake_case attributes, camelCase JSON (``to_dict()``), ``None`` meaning "not set".
    The Gateway may accept options this version does not name: put them in ``extra``
    (they are written as given) and :meth:`from_dict` keeps unknown keys there. For
    realtime sessions they ride the session config::

        session_config = {
            "instructions": "be brief",
            "providerOptions": {"gateway": GatewayProviderOptions(tags=["demo"]).to_dict()},
        }
    """

    #: Request-scoped BYOK credentials per provider, instead of the stored ones.
    byok: Mapping[str, list[Mapping[str, Any]]] | None = _opt("byok")
    #: Automatic caching where the Gateway supports it.
    caching: Literal["auto"] | None = _opt("caching")
    #: Only route to providers that do not train on prompt data.
    disallow_prompt_training: bool | None = _opt("disallowPromptTraining")
    #: Only route to models with all of these capabilities.
    has: list[Literal["implicit-caching", "vision"]] | None = _opt("has")
    #: Only route to HIPAA-compliant providers.
    hipaa_compliant: bool | None = _opt("hipaaCompliant")
    #: Idempotency key for batch starts (a retry with the same key replays the batch).
    idempotency_key: str | None = _opt("idempotencyKey")
    #: Fallback model slugs, tried in order.
    models: list[str] | None = _opt("models")
    #: The only provider slugs allowed.
    only: list[str] | None = _opt("only")
    #: Provider slugs in the order to try them.
    order: list[str] | None = _opt("order")
    #: Per-provider BYOK timeouts in milliseconds: ``{"byok": {"openai": 5000}}``.
    provider_timeouts: Mapping[str, Mapping[str, int]] | None = _opt("providerTimeouts")
    #: The entity quota is tracked against.
    quota_entity_id: str | None = _opt("quotaEntityId")
    #: Unified service tier intent.
    service_tier: Literal["flex", "priority"] | None = _opt("serviceTier")
    #: Sort providers by a metric before routing.
    sort: Literal["cost", "tps", "ttft"] | None = _opt("sort")
    #: Tags for usage reporting and filtering.
    tags: list[str] | None = _opt("tags")
    #: End-user id for spend tracking and attribution.
    user: str | None = _opt("user")
    #: Only route to providers with zero data retention agreements.
    zero_data_retention: bool | None = _opt("zeroDataRetention")
    #: Options this version does not name, written as given (camelCase keys).
    extra: Mapping[str, Any] = attrs.field(factory=dict, kw_only=True, converter=_frozen_extra)

    def to_dict(self) -> dict[str, Any]:
        """The ``providerOptions.gateway`` JSON object."""
        out: dict[str, Any] = {}
        for field in attrs.fields(GatewayProviderOptions):
            if field.name == "extra":
                continue
            value = getattr(self, field.name)
            if value is not None:
                out[field.metadata[_KEY]] = value
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GatewayProviderOptions:
        """Read a ``providerOptions.gateway`` object; unknown keys land in ``extra``."""
        if not isinstance(data, Mapping):
            raise InvalidArgumentError(
                "gateway provider options must be a mapping", argument="provider_options"
            )
        by_key = {
            f.metadata[_KEY]: f.name for f in attrs.fields(GatewayProviderOptions) if f.metadata
        }
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key in by_key and value is not None:
                known[by_key[key]] = value
            else:
                extra[key] = value
        return cls(**known, extra=extra)
