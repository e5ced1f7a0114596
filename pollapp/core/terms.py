"""The vocabulary poll data is made of: states as enums, and the shape of
slugs, keys and texts, each defined once for the models, the poll files, the
forms, the API and its OpenAPI document alike."""

from __future__ import annotations

import re
from enum import StrEnum


class PollStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ResultsVisibility(StrEnum):
    """When readers may see a poll's results."""

    ALWAYS = "always"
    AFTER_VOTE = "after_vote"  # once the reader has cast a ballot
    AFTER_CLOSE = "after_close"  # once the poll is closed


# Slugs and entry keys: lowercase letters and digits in words joined by hyphens.
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_LENGTH = 100
KEY_LENGTH = 100
TITLE_LENGTH = 300  # a poll's title, and an entry's drama, scene and couple
RULE_LENGTH = 20
STATUS_LENGTH = 10
VISIBILITY_LENGTH = 20
