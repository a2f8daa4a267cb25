"""Bounded, batched, structured-concurrency plumbing shared by every stream."""

from ._pipeline import (
    DEFAULT_CLEANUP_TIMEOUT as DEFAULT_CLEANUP_TIMEOUT,
)
from ._pipeline import (
    DEFAULT_MAX_BATCHES as DEFAULT_MAX_BATCHES,
)
from ._pipeline import (
    Emit as Emit,
)
from ._pipeline import (
    MapStage as MapStage,
)
from ._pipeline import (
    PartStream as PartStream,
)
from ._pipeline import (
    Source as Source,
)
from ._pipeline import (
    Stage as Stage,
)
from ._pipeline import (
    open_stream as open_stream,
)

__all__ = [
    "DEFAULT_CLEANUP_TIMEOUT",
    "DEFAULT_MAX_BATCHES",
    "Emit",
    "MapStage",
    "PartStream",
    "Source",
    "Stage",
    "open_stream",
]
