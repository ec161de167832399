"""The token's data is read from the node in a fixed number of round trips, not one call a
fact: the regulator's on-chain page waits for two answers, however many documents there are."""

from collections import Counter
from typing import Any

import orjson
import pytest
from django.urls import reverse
from web3._utils.http_session_manager import HTTPSessionManager

from qoima.chain.reads import NoContract, token_facts

from .conftest import issued_on_chain


def _counting(monkeypatch: Any) -> Counter[str]:
    """Round trips to the node by kind: a single call by its method, a batch as "batch".

    Counted where the request leaves for the node, below web3's cached request functions.
    """
    seen: Counter[str] = Counter()
    post = HTTPSessionManager.make_post_request

    def make_post_request(self: Any, endpoint_uri: Any, data: Any, **kwargs: Any) -> bytes:
        sent = orjson.loads(data)
        seen["batch" if isinstance(sent, list) else sent["method"]] += 1
        return post(self, endpoint_uri, data, **kwargs)

    monkeypatch.setattr(HTTPSessionManager, "make_post_request", make_post_request)
    return seen


def test_the_tokens_facts_are_read_in_two_round_trips(chain, regulator_client, monkeypatch):
    _world, application = issued_on_chain(chain)
    seen = _counting(monkeypatch)
    page = regulator_client.get(reverse("registry-asset-onchain", args=[application.pk]))
    assert page.status_code == 200
    comparison = page.context["comparison"]
    assert not comparison.mismatches
    documents = [f for f in comparison.facts if "SHA-256" in str(f.label)]
    assert len(documents) == 2
    assert seen == Counter({"batch": 2})


def test_an_address_without_a_contract_is_told_apart_from_a_node_that_is_down(chain):
    with pytest.raises(NoContract):
        token_facts(chain, "0x" + "12" * 20)
