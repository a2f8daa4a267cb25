"""Model providers: Google Interactions and AI Gateway realtime."""

__all__: list[str] = []
