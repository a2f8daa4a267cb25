"""Sans-IO codecs: Interactions request/stream, Gateway realtime, JSON."""

__all__: list[str] = []
