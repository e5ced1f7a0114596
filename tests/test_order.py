"""The order a ballot lists the entries in: each reader's own, the same on
every visit, another reader's another; the editors' list keeps its order;
off, the ballot keeps the editors' order; each ballot keeps the seed of the
order it was cast from, which rebuilds that order."""

from __future__ import annotations

import hashlib
import re

from hypothesis import given
from hypothesis import strategies as st
from pollapp.core.order import shown_order
from pollapp.extensions import db
from sqlalchemy import text

from helpers import POLL, ballot_shown, csrf_token, set_poll, vote

PAGE = f"/polls/{POLL}"
EMBED = f"/polls/{POLL}/embed"


def test_the_order_is_the_keys_sorted_by_their_hash_with_the_seed():
    assert shown_order(["a", "b", "c"], 7) == ["c", "a", "b"]
    assert shown_order(["a", "b", "c"], 8) == ["a", "c", "b"]


@given(
    st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=12, unique=True), st.integers(0, 2**31 - 1)
)
def test_an_order_holds_every_entry_once_whatever_the_order_given(keys, seed):
    shown = shown_order(keys, seed)
    assert sorted(shown) == sorted(keys)
    assert shown_order(list(reversed(keys)), seed) == shown
    # The same order, made independently from its definition.
    digests = {key: hashlib.sha256(f"{seed}:{key}".encode()).hexdigest() for key in keys}
    assert shown == sorted(keys, key=digests.__getitem__)


def listed(client, path: str = PAGE) -> list[str]:
    return ballot_shown(client.get(path).get_data(as_text=True)).listed


def editors_list(client) -> list[str]:
    """The keys of the editors' list on the poll page, in its order."""
    page = client.get(PAGE).get_data(as_text=True)
    return re.findall(r'<li class="entry" id="entry-([^"]+)">', page)


def test_a_reader_sees_the_same_order_on_every_visit(client, keys):
    first = listed(client)
    assert sorted(first) == sorted(keys)
    assert listed(client) == first
    assert listed(client) == first


def test_readers_see_different_orders_and_the_editors_list_keeps_its_own(app, keys):
    orders = {tuple(listed(app.test_client())) for _ in range(6)}
    # Six readers sharing one order of nine entries would be a 1 in 40,320**5 chance.
    assert len(orders) > 1
    assert editors_list(app.test_client()) == keys


def test_the_selects_list_the_entries_in_the_readers_order_too(client):
    page = client.get(PAGE).get_data(as_text=True)
    first_select = re.search(r'<select[^>]* name="rank_1"[^>]*>(.*?)</select>', page, re.S)
    assert first_select
    options = [value for value in re.findall(r'value="([^"]*)"', first_select.group(1)) if value]
    assert options == ballot_shown(page).listed


def test_with_shuffling_off_the_ballot_keeps_the_editors_order(app, keys):
    set_poll(app, shuffle_entries=False)
    for _ in range(3):
        assert listed(app.test_client()) == keys
    assert listed(app.test_client(), f"{EMBED}") == keys


def test_the_embed_lists_each_readers_own_order(app, keys):
    orders = {tuple(listed(app.test_client(), EMBED)) for _ in range(6)}
    assert len(orders) > 1
    assert all(sorted(order) == sorted(keys) for order in orders)


def seeds(app) -> list[int | None]:
    with app.app_context():
        return list(db.session.execute(text("SELECT order_seed FROM ballot ORDER BY id")).scalars())


def test_a_ballot_keeps_the_seed_that_rebuilds_the_order_it_was_cast_from(app, client, keys):
    shown = listed(client)
    response = client.post(PAGE, data={"csrf_token": csrf_token(client), "rank_1": keys[2]})
    assert response.status_code == 302
    (seed,) = seeds(app)
    assert seed is not None
    assert shown_order(keys, seed) == shown


def test_the_embed_form_keeps_the_seed_of_its_own_order(app, client, keys):
    page = client.get(EMBED).get_data(as_text=True)
    key = re.search(r'name="reader_key" type="hidden" value="([^"]+)"', page)
    assert key
    response = client.post(EMBED, data={"reader_key": key.group(1), "rank_1": keys[0]})
    assert response.status_code == 303
    (seed,) = seeds(app)
    assert seed is not None and shown_order(keys, seed) == ballot_shown(page).listed


def test_ballots_from_the_api_or_from_the_editors_order_keep_no_seed(app, client, keys):
    assert vote(client, [keys[1]]).status_code == 201
    set_poll(app, shuffle_entries=False)
    reader = app.test_client()
    assert reader.post(PAGE, data={"csrf_token": csrf_token(reader), "rank_1": keys[2]}).status_code == 302
    assert seeds(app) == [None, None]
