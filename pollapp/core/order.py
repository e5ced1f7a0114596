"""The order a ballot shows a poll's entries in, before the reader ranks any.

Each reader sees the entries shuffled by a seed of their own, so the
editors' order does not anchor the readers'. The order is the entries
sorted by the SHA-256 of ``"<seed>:<key>"`` (its hex digest), so anyone
holding a ballot's seed can rebuild what it showed, in any language:

>>> shown_order(["a", "b", "c"], 7)
['c', 'a', 'b']
>>> shown_order(["a", "b", "c"], 8)
['a', 'c', 'b']
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

SEED_BITS = 31  # a seed fits a signed 32-bit column


def shown_order(keys: Sequence[str], seed: int) -> list[str]:
    """The entry keys in the order a ballot with this seed shows them."""
    return sorted(keys, key=lambda key: hashlib.sha256(f"{seed}:{key}".encode()).hexdigest())
