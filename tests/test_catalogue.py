"""Poll files: the shipped one is well formed, and a broken one is refused
with a sentence naming the fault."""

from __future__ import annotations

import copy
import tomllib

import pytest
from pollapp.catalogue.files import POLLS_DIR, PollFileError, parse_poll, shipped_polls

SHIPPED = POLLS_DIR / "kdrama-kisses-2014.toml"


def shipped_data() -> dict[str, object]:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_poll_has_nine_entries_with_distinct_keys():
    (poll,) = shipped_polls()
    assert poll.slug == "kdrama-kisses-2014"
    assert len(poll.entries) == 9
    assert len({entry.key for entry in poll.entries}) == 9


def broken(change) -> dict[str, object]:
    data = copy.deepcopy(shipped_data())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(lambda d: d.update(slug="Big Poll"), "slug 'Big Poll' must be lowercase", id="slug"),
        pytest.param(lambda d: d.update(slug="a--b"), "slug 'a--b' must be lowercase", id="slug hyphens"),
        pytest.param(
            lambda d: d["entries"][2].update(key="scene_3"), "entry 3: key 'scene_3' must be", id="key"
        ),
        pytest.param(
            lambda d: d["entries"][0].update(key=""), "entry 1: 'key' must be a non-empty", id="empty"
        ),
        pytest.param(
            lambda d: d.update(entries=d["entries"][:1]), "at least two [[entries]]", id="one entry"
        ),
        pytest.param(
            lambda d: d["entries"][4].update(key=d["entries"][1]["key"]),
            "entry keys must be unique; repeated: ",
            id="repeated key",
        ),
    ],
)
def test_a_broken_poll_file_is_refused_with_a_sentence(change, message):
    with pytest.raises(PollFileError) as error:
        parse_poll(broken(change), "broken.toml")
    assert message in str(error.value)
    assert str(error.value).startswith("broken.toml")
