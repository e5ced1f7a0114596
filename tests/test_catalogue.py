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
        pytest.param(
            lambda d: d["entries"][0].pop("title"), "entry 1: 'title' must be a non-empty", id="no title"
        ),
        pytest.param(
            lambda d: d["entries"][1].update(link="javascript:alert(1)"),
            "entry 2: 'link' must be an http or https address",
            id="script link",
        ),
        pytest.param(
            lambda d: d["entries"][1].update(link="https:///no-host"),
            "entry 2: 'link' must be an http or https address",
            id="link without a host",
        ),
        pytest.param(lambda d: d.update(min_ballots=0), "'min_ballots' must be a whole number", id="none"),
        pytest.param(lambda d: d.update(min_ballots="30"), "'min_ballots' must be a whole", id="text"),
        pytest.param(lambda d: d.update(min_ballots=True), "'min_ballots' must be a whole", id="boolean"),
        pytest.param(
            lambda d: d["entries"][3].update(credit="x" * 301),
            "entry 4: 'credit' must be at most 300",
            id="long",
        ),
    ],
)
def test_a_broken_poll_file_is_refused_with_a_sentence(change, message):
    with pytest.raises(PollFileError) as error:
        parse_poll(broken(change), "broken.toml")
    assert message in str(error.value)
    assert str(error.value).startswith("broken.toml")


def test_a_poll_file_may_set_its_minimum_of_ballots_and_defaults_to_thirty():
    assert parse_poll(shipped_data(), "shipped.toml").min_ballots == 30
    assert parse_poll({**shipped_data(), "min_ballots": 5}, "small.toml").min_ballots == 5


def test_an_entry_needs_only_a_key_and_a_title():
    data = shipped_data()
    data["entries"][0] = {"key": "plain", "title": "Plain", "link": "https://example.com/clip?t=1"}
    poll = parse_poll(data, "plain.toml")
    plain = poll.entries[0]
    assert (plain.subtitle, plain.credit, plain.blurb, plain.link) == (
        "",
        "",
        "",
        "https://example.com/clip?t=1",
    )
    assert (poll.entry_noun, poll.entry_noun_plural) == ("scene", "scenes")
    del data["entry_noun"], data["entry_noun_plural"]
    assert (parse_poll(data, "plain.toml").entry_noun_plural) == "entries"
