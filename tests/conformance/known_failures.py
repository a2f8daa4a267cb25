"""The one list of conformance cases that do not pass, with the reason for each.

Three runners read ``../shared/conformance/interactions/cases``; each takes its
section of :data:`KNOWN_FAILURES` and runs the cases listed there as strict
xfails, so a listed case that starts passing fails the suite until it is removed:

* ``"end-to-end"``: ``tests/conformance/test_interactions_lm.py`` (every
  ``*__lm__*`` case through the public API against a loopback replay server);
* ``"request-body"``: ``tests/codecs/interactions/test_request_conformance.py``
  (the request-building codec on its own);
* ``"units"``: ``tests/codecs/interactions/test_units_conformance.py`` (the
  transform, outputs, sources and finish-reason functions on their own).
"""

from __future__ import annotations

from typing import Final

KNOWN_FAILURES: Final[dict[str, dict[str, str]]] = {
    "end-to-end": {},
    "request-body": {
        "request-body__prepare-tools__toolchoice-mapping-maps-none-to-none": (
            "recorded from @ai-sdk/google 4.0.50, where toolChoice none became tool_choice "
            '"none"; since 4.0.111 the reference omits every tool and tool_choice instead, and '
            "partstream follows the current release (differential case tool-choice-none-*)"
        ),
    },
    "units": {},
}
