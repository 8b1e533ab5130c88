"""Small helpers on found spans, shared by the scrubber and the text stage without importing
presidio-anonymizer (seconds to import), which only the scrubber needs."""

from __future__ import annotations

import re

# A placeholder the scrubber writes, such as <PERSON>.
PLACEHOLDER_RE = re.compile(r"<([A-Z_]{2,30})>")


def non_overlapping(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Keep the longest span where spans overlap, in text order."""
    chosen: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)
