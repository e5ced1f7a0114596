"""The OpenAPI 3.1 description of the JSON API (and of the oEmbed endpoint beside it)."""

from __future__ import annotations

from typing import Any

from ..core.ranking import Rule
from ..core.terms import KEY_LENGTH, BallotSource, PollStatus, RescoreCause
from ..suggestions.models import SUGGESTED_TITLE_LENGTH
from ..web.shared_rankings import TOP as SHARED_TOP

KEY = {"type": "string", "minLength": 1, "maxLength": KEY_LENGTH}
ERROR = {
    "type": "object",
    "required": ["error", "code"],
    "properties": {
        "error": {
            "type": "string",
            "description": "What is wrong, for a person, in the language the request asked for "
            "(Accept-Language, or ?lang=en / ?lang=ko).",
        },
        "code": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9_]*$",
            "description": "What is wrong, for a script: the same in every language, e.g. not_found, "
            "poll_closed, ballot_unknown, ballot_repeated, invalid_json, too_many_requests.",
        },
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


PIXELS = {"type": "integer", "minimum": 1, "maximum": 99_999}
SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The poll's slug, e.g. kdrama-kisses-2014.",
}


def openapi_document() -> dict[str, Any]:
    """Build the document (a plain dict, served as JSON)."""
    entry = {
        "type": "object",
        "required": ["key", "editor_rank", "title", "subtitle", "credit", "blurb", "link"],
        "properties": {
            "key": {"type": "string"},
            "editor_rank": {"type": "integer", "minimum": 1},
            "title": {"type": "string"},
            "subtitle": {"type": "string", "description": "Empty when the entry has none."},
            "credit": {"type": "string", "description": "Who is in it or made it; may be empty."},
            "blurb": {"type": "string"},
            "link": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "An http or https address of a clip or page, or null.",
            },
        },
    }
    standing = {
        "type": "object",
        "required": [
            "key",
            "title",
            "subtitle",
            "editor_rank",
            "community_rank",
            "points",
            "first_place_votes",
            "top_three_ballots",
            "rank_range",
            "first_share",
        ],
        "properties": {
            "key": {"type": "string"},
            "title": {"type": "string"},
            "subtitle": {"type": "string"},
            "editor_rank": {"type": "integer", "minimum": 1},
            "community_rank": {"type": "integer", "minimum": 1},
            "points": {"type": "number", "minimum": 0, "description": "Borda points; halves are possible."},
            "first_place_votes": {"type": "integer", "minimum": 0},
            "top_three_ballots": {
                "type": "integer",
                "minimum": 0,
                "description": "How many ballots put the entry among their first three.",
            },
            "rank_range": {
                "type": ["array", "null"],
                "items": {"type": "integer", "minimum": 1},
                "minItems": 2,
                "maxItems": 2,
                "description": "The 95% range of the community rank over 1,000 resamples of the ballots "
                "(best, worst); null before the first ballot.",
            },
            "first_share": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "The share of resamples where the entry ranks first; null before any ballot.",
            },
        },
    }
    correlation = {"type": ["number", "null"], "minimum": -1, "maximum": 1}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pollapp",
            "version": "1.0.0",
            "description": "Readers rank an editorial list; the Borda count ranks the community's choice.",
        },
        "paths": {
            "/api/polls": {
                "get": {
                    "summary": "Every poll readers may see: open ones first, then closed, each newest first.",
                    "operationId": "listPolls",
                    "responses": {"200": _json("The polls.", "PollIndex")},
                }
            },
            "/api/polls/{slug}": {
                "get": {
                    "summary": "A poll and its entries in the editors' order.",
                    "operationId": "getPoll",
                    "parameters": [SLUG],
                    "responses": {"200": _json("The poll.", "Poll"), "404": _error("No such poll.")},
                }
            },
            "/api/polls/{slug}/ballots": {
                "post": {
                    "summary": "Cast the calling reader's ballot, replacing an earlier one.",
                    "description": "The reader is identified by a signed cookie set on the first ballot.",
                    "operationId": "castBallot",
                    "parameters": [
                        SLUG,
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{8,200}$"},
                            "description": (
                                "For a caller that keeps no cookie: the same key is the same reader, "
                                "so a ballot sent again after a lost answer replaces itself."
                            ),
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/BallotIn"}}
                        },
                    },
                    "responses": {
                        "201": _json("A new reader's ballot was stored.", "BallotOut"),
                        "200": _json("The reader's earlier ballot was replaced.", "BallotOut"),
                        "202": _json(
                            "The ballot was stored but is held for a check before it counts: many first "
                            "ballots came from this address at once.",
                            "BallotOut",
                        ),
                        "400": _error("The ballot is invalid."),
                        "403": _error("The request came from another site."),
                        "404": _error("No such poll."),
                        "409": _error("The poll is closed."),
                        "413": _error("The body is too large."),
                        "415": _error("The body is not JSON."),
                        "429": _error("Too many ballots from this address; try again later."),
                    },
                }
            },
            "/api/polls/{slug}/results": {
                "get": {
                    "summary": "The community ranking beside the editors', with agreement figures.",
                    "operationId": "getResults",
                    "parameters": [SLUG],
                    "responses": {
                        "200": _json("The results, entries in community order.", "Results"),
                        "403": _error("The poll shows results only later."),
                        "404": _error("No such poll."),
                    },
                }
            },
            "/api/polls/{slug}/suggestions": {
                "get": {
                    "summary": "Readers' suggestions the editors approved, and the take-away counts.",
                    "operationId": "getSuggestions",
                    "parameters": [SLUG],
                    "responses": {
                        "200": _json("What the results page shows of readers' suggestions.", "Suggestions"),
                        "403": _error("The poll shows results only later."),
                        "404": _error("No such poll."),
                    },
                }
            },
            "/api/polls/{slug}/history": {
                "get": {
                    "summary": "The community ranking as it stood through the poll's life.",
                    "operationId": "getHistory",
                    "parameters": [SLUG],
                    "responses": {
                        "200": _json(
                            "Oldest first: every hour with ballots in the first three days, then each day "
                            "at midnight UTC, then now. Empty before the first ballot.",
                            "History",
                        ),
                        "403": _error("The poll shows results only later."),
                        "404": _error("No such poll."),
                    },
                }
            },
            "/api/shared/{token}": {
                "get": {
                    "summary": "A reader's shared ranking: their current ballot beside the editors' top and, "
                    "where the results are public, the readers' top.",
                    "description": "Exists only because its reader chose to share their ballot; it follows "
                    "their ballot, so a new vote changes it. Not indexed (X-Robots-Tag: noindex).",
                    "operationId": "getSharedRanking",
                    "parameters": [
                        {
                            "name": "token",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "The shared ranking's token (43 URL-safe characters).",
                        }
                    ],
                    "responses": {
                        "200": _json("The shared ranking.", "SharedRanking"),
                        "404": _error("No shared ranking has this token."),
                        "410": _error("Its reader took it down."),
                    },
                }
            },
            # Outside /api/, but JSON for programs all the same (oembed.com, version 1.0).
            "/oembed": {
                "get": {
                    "summary": "How to embed a poll, for an oEmbed consumer such as WordPress.",
                    "operationId": "getOembed",
                    "parameters": [
                        {
                            "name": "url",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1},
                            "description": "The URL of a poll or its results on this site.",
                        },
                        {"name": "maxwidth", "in": "query", "schema": PIXELS},
                        {"name": "maxheight", "in": "query", "schema": PIXELS},
                        {"name": "format", "in": "query", "schema": {"enum": ["json"]}},
                    ],
                    "responses": {
                        "200": _json("A rich answer: a fallback link and the embed's frame.", "OEmbed"),
                        "400": _error("No url, or a size that is not a whole number of pixels."),
                        "404": _error("The URL is not a poll of this site."),
                        "501": _error("A format other than json."),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": ERROR,
                "Suggestions": {
                    "type": "object",
                    "required": ["slug", "nominated", "take_away"],
                    "properties": {
                        "slug": {"type": "string"},
                        "nominated": {
                            "type": "array",
                            "description": "Approved nominations, most asked first.",
                            "items": {
                                "type": "object",
                                "required": ["title", "readers"],
                                "properties": {
                                    "title": {"type": "string", "maxLength": SUGGESTED_TITLE_LENGTH},
                                    "readers": {"type": "integer", "minimum": 1},
                                },
                            },
                        },
                        "take_away": {
                            "type": "array",
                            "description": "Entries readers would take away, most asked first.",
                            "items": {
                                "type": "object",
                                "required": ["key", "readers"],
                                "properties": {"key": KEY, "readers": {"type": "integer", "minimum": 1}},
                            },
                        },
                    },
                },
                "Entry": entry,
                "PollIndex": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["slug", "title", "status", "ballots", "closes_at", "url"],
                        "additionalProperties": False,
                        "properties": {
                            "slug": {"type": "string"},
                            "title": {"type": "string"},
                            "status": {"enum": [PollStatus.OPEN.value, PollStatus.CLOSED.value]},
                            "ballots": {"type": "integer", "minimum": 0, "description": "Counted ballots."},
                            "closes_at": {
                                "type": ["string", "null"],
                                "format": "date-time",
                                "description": "When the poll stops taking ballots (ISO 8601, UTC).",
                            },
                            "url": {"type": "string", "format": "uri", "description": "The poll's page."},
                        },
                    },
                },
                "Poll": {
                    "type": "object",
                    "required": ["slug", "title", "status", "borda_rule", "entries"],
                    "properties": {
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        # A draft is never served: to a reader it does not exist.
                        "status": {"enum": [s.value for s in PollStatus if s != PollStatus.DRAFT]},
                        "borda_rule": {"enum": [rule.value for rule in Rule]},
                        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
                    },
                },
                "BallotIn": {
                    "type": "object",
                    "required": ["ranking"],
                    "additionalProperties": False,
                    "properties": {
                        "ranking": {
                            "type": "array",
                            "items": KEY,
                            "minItems": 1,
                            "uniqueItems": True,
                            "description": "Entry keys, most loved first.",
                        }
                    },
                },
                "BallotOut": {
                    "type": "object",
                    "required": ["ranking", "replaced", "held"],
                    "properties": {
                        "ranking": {"type": "array", "items": {"type": "string"}},
                        "replaced": {"type": "boolean"},
                        "held": {"type": "boolean", "description": "Stored, but not counted until checked."},
                    },
                },
                "Standing": standing,
                "OEmbed": {
                    "type": "object",
                    "required": ["type", "version", "html", "width", "height"],
                    "properties": {
                        "type": {"const": "rich"},
                        "version": {"const": "1.0"},
                        "html": {"type": "string"},
                        "width": {"type": "integer", "minimum": 1},
                        "height": {"type": "integer", "minimum": 1},
                        "title": {"type": "string"},
                        "provider_name": {"type": "string"},
                        "provider_url": {"type": "string"},
                        "cache_age": {"type": "integer", "minimum": 0},
                        "thumbnail_url": {"type": "string"},
                        "thumbnail_width": {"type": "integer", "minimum": 1},
                        "thumbnail_height": {"type": "integer", "minimum": 1},
                    },
                    "dependentRequired": {
                        "thumbnail_url": ["thumbnail_width", "thumbnail_height"],
                    },
                },
                "SharedRanking": {
                    "type": "object",
                    "required": ["poll", "title", "ranking", "editors_top", "readers_top", "shared_at"],
                    "additionalProperties": False,
                    "properties": {
                        "poll": {"type": "string", "description": "The poll's slug."},
                        "title": {"type": "string"},
                        "ranking": {
                            "type": "array",
                            "items": KEY,
                            "minItems": 1,
                            "description": "The reader's ballot as it is now: entry keys, most loved first.",
                        },
                        "editors_top": {"type": "array", "items": KEY, "maxItems": SHARED_TOP},
                        "readers_top": {
                            "type": ["array", "null"],
                            "items": KEY,
                            "maxItems": SHARED_TOP,
                            "description": "The community ranking's first entries; null while the poll shows "
                            "its results only later; empty before the first ballot.",
                        },
                        "shared_at": {"type": "string", "format": "date-time", "description": "UTC."},
                    },
                },
                "History": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["at", "ballots", "ranks"],
                        "additionalProperties": False,
                        "properties": {
                            "at": {"type": "string", "format": "date-time", "description": "UTC."},
                            "ballots": {
                                "type": "integer",
                                "minimum": 1,
                                "description": "Ballots counted then.",
                            },
                            "ranks": {
                                "type": "object",
                                "description": "Each entry key's community rank then (1 first; ties share).",
                                "additionalProperties": {"type": "integer", "minimum": 1},
                            },
                        },
                    },
                },
                "Rescore": {
                    "type": "object",
                    "required": [
                        "at",
                        "cause",
                        "entries_before",
                        "entries_after",
                        "rule_before",
                        "rule_after",
                    ],
                    "properties": {
                        "at": {"type": "string", "format": "date-time", "description": "When, in UTC."},
                        "cause": {"enum": [cause.value for cause in RescoreCause]},
                        "entries_before": {"type": "integer", "minimum": 2, "description": "n before."},
                        "entries_after": {"type": "integer", "minimum": 2, "description": "n after."},
                        "rule_before": {"enum": [rule.value for rule in Rule]},
                        "rule_after": {"enum": [rule.value for rule in Rule]},
                    },
                },
                "Results": {
                    "type": "object",
                    "required": [
                        "slug",
                        "ballots",
                        "held_ballots",
                        "sources",
                        "min_ballots",
                        "borda_rule",
                        "entries",
                        "agreement",
                        "too_close_to_call",
                        "pairwise",
                        "condorcet_winner",
                        "orders",
                        "figures_tag",
                        "rescores",
                    ],
                    "properties": {
                        "slug": {"type": "string"},
                        "ballots": {"type": "integer", "minimum": 0, "description": "Ballots counted."},
                        "held_ballots": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Ballots stored but held for a check, not counted yet.",
                        },
                        "sources": {
                            "type": "object",
                            "description": "Where the counted ballots were cast (they add up to ballots): "
                            "this site's poll page, an embed whose frame kept the embed's cookie, an embed "
                            "whose frame could keep none, a script calling this API, a file imported by the "
                            "editors without a source column (a file with one keeps each ballot's own). "
                            "Each counted ballot's source is the last column, source, of "
                            "/polls/{slug}/ballots.csv. "
                            "Ballots from before sources were kept count as the site's. "
                            "Past 10,000 ballots they are counted again at most once a minute, "
                            "so they may add up to a little less than ballots.",
                            "required": [source.value for source in BallotSource],
                            "additionalProperties": False,
                            "properties": {
                                source.value: {"type": "integer", "minimum": 0} for source in BallotSource
                            },
                        },
                        "min_ballots": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "Below this many ballots the results page calls it too early "
                            "and shows counts without a ranking.",
                        },
                        "borda_rule": {"enum": [rule.value for rule in Rule]},
                        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Standing"}},
                        "agreement": {
                            "type": "object",
                            "required": ["kendall_tau", "spearman_rho"],
                            "properties": {"kendall_tau": correlation, "spearman_rho": correlation},
                        },
                        "too_close_to_call": {
                            "type": "array",
                            "description": "Runs of neighbours in community order whose rank ranges overlap.",
                            "items": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                        },
                        "pairwise": {
                            "type": "object",
                            "description": "pairwise[a][b]: ballots preferring a to b (a ranked entry beats "
                            "an unranked one; two unranked: no preference).",
                            "additionalProperties": {
                                "type": "object",
                                "additionalProperties": {"type": "integer", "minimum": 0},
                            },
                        },
                        "condorcet_winner": {
                            "type": ["string", "null"],
                            "description": "The entry preferred to each other one by more ballots, if any.",
                        },
                        "orders": {
                            "type": "object",
                            "description": "Entry keys in community order under each Borda rule.",
                            "required": [rule.value for rule in Rule],
                            "properties": {
                                rule.value: {"type": "array", "items": {"type": "string"}} for rule in Rule
                            },
                        },
                        "figures_tag": {
                            "type": "string",
                            "description": (
                                "The tally tag (ETag) of the ballots that rank_range, first_share, "
                                "too_close_to_call, pairwise, condorcet_winner and orders were worked out "
                                "from. Past 10,000 ballots these are the latest figures, renewed at most "
                                "once a minute beside the requests, so this can be an earlier tag than "
                                "the response's ETag."
                            ),
                        },
                        "rescores": {
                            "type": "array",
                            "description": "Each time after ballots were cast that every ballot began to "
                            "count anew, oldest first: entries added (n grew) or another Borda rule. The "
                            "ballots themselves never change.",
                            "items": {"$ref": "#/components/schemas/Rescore"},
                        },
                    },
                },
            }
        },
    }
