"""The whole loop once: load the poll, vote, see results, download both CSVs."""

from helpers import POLL, vote


def test_a_reader_votes_and_sees_the_results(client, keys):
    assert client.get("/").status_code == 200
    response = vote(client, [keys[8], keys[0]])
    assert response.status_code == 201
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    assert results["ballots"] == 1
    assert results["entries"][0]["key"] == keys[8]
    assert results["entries"][0]["points"] == 8
    ballots = client.get(f"/polls/{POLL}/ballots.csv").get_data(as_text=True)
    assert ballots.splitlines()[1] == f"1,{keys[8]},{keys[0]},,,,,,,,api"
