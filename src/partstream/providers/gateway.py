"""The AI Gateway provider: realtime models over the Gateway's normalized WebSocket protocol.

::

    from partstream.providers.gateway import create_gateway

    rt = create_gateway(api_key=..., base_url=...).realtime("openai/gpt-realtime")
    async with rt.connect(session_config={"instructions": "be brief"}) as session:
        await session.send({"type": "response-create"})
        async for event in session:      # typed normalized server events
            ...

    secret = await rt.mint_client_secret(expires_after_seconds=60)   # for a browser
"""

from ._gateway_credentials import GatewayCredential as GatewayCredential
from ._gateway_credentials import RealtimeToken as RealtimeToken
from ._gateway_credentials import WebSocketConfig as WebSocketConfig
from ._gateway_errors import gateway_error_from_response as gateway_error_from_response
from ._gateway_options import GatewayProviderOptions as GatewayProviderOptions
from ._gateway_provider import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from ._gateway_provider import GatewayProvider as GatewayProvider
from ._gateway_provider import GatewayRealtimeModel as GatewayRealtimeModel
from ._gateway_provider import create_gateway as create_gateway
from ._gateway_session import GatewayRealtimeSession as GatewayRealtimeSession

__all__ = [
    "DEFAULT_BASE_URL",
    "GatewayCredential",
    "GatewayProvider",
    "GatewayProviderOptions",
    "GatewayRealtimeModel",
    "GatewayRealtimeSession",
    "RealtimeToken",
    "WebSocketConfig",
    "create_gateway",
    "gateway_error_from_response",
]
