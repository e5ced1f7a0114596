"""Words the blueprints share for what became of a ballot."""

from __future__ import annotations

from ..ballots.service import Cast

HELD = (
    "Many ballots came from your connection at once, so yours waits for a quick check "
    "before it counts. Nothing more to do: it is kept."
)


def ballot_taken(cast: Cast) -> str:
    """What a reader is told once their ballot is stored."""
    if cast.held:
        start = (
            "Your new ballot replaced your earlier one." if cast.replaced else "Thank you! Your ballot is in."
        )
        return f"{start} {HELD}"
    if cast.replaced:
        return "Your new ballot replaced your earlier one."
    return "Thank you! Your ballot is in."
