"""Network transports: SSE over httpx, WebSocket over wsproto."""

__all__: list[str] = []
