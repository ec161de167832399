"""The one place that talks JSON-RPC to the chain; nothing outside qoima/chain/ imports web3."""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import orjson
from django.conf import settings
from web3 import HTTPProvider, Web3
from web3.exceptions import Web3Exception, Web3RPCError
from web3.providers import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse


class _HTTPProvider(HTTPProvider):
    """web3's HTTP provider, decoding the node's answers with orjson.

    A block range's logs run to tens of megabytes of JSON, which the standard library's decoder
    takes several times longer to read.
    """

    @staticmethod
    def decode_rpc_response(raw_response: bytes) -> RPCResponse:
        return cast(RPCResponse, orjson.loads(raw_response))


@lru_cache(maxsize=4)
def web3_for(url: str, timeout: float) -> Web3:
    return Web3(_HTTPProvider(url, request_kwargs={"timeout": timeout}))


def get_web3() -> Web3:
    return web3_for(settings.CHAIN_RPC_URL, settings.CHAIN_RPC_TIMEOUT_SECONDS)


class ChainUnavailable(Exception):
    pass


@dataclass(frozen=True)
class ChainHead:
    chain_id: int
    block_number: int
    block_hash: str


def chain_head(w3: Web3 | None = None) -> ChainHead:
    """Ask the node for its chain id and newest block; raise ChainUnavailable if it can't say."""
    w3 = w3 or get_web3()
    try:
        block = w3.eth.get_block("latest")
        return ChainHead(
            chain_id=w3.eth.chain_id,
            block_number=int(block["number"]),
            block_hash=Web3.to_hex(block["hash"]),
        )
    except (OSError, Web3Exception, ValueError) as error:
        raise ChainUnavailable(str(error)) from error


def _result(answer: RPCResponse) -> Any:
    if "error" in answer:
        raise Web3RPCError(str(answer["error"]), rpc_response=answer)
    return answer["result"]


def rpc_call(w3: Web3, method: str, params: list[Any]) -> Any:
    """One JSON-RPC call, its result as the node sent it: no web3 result formatters.

    For answers too big for web3's per-field formatting (logs of a whole block range).
    """
    return _result(w3.provider.make_request(RPCEndpoint(method), params))


def rpc_batch(w3: Web3, calls: list[tuple[str, list[Any]]]) -> list[Any]:
    """Several calls in one JSON-RPC batch, their raw results in order."""
    if not calls:
        return []
    provider = cast(JSONBaseProvider, w3.provider)
    answers = provider.make_batch_request([(RPCEndpoint(m), params) for m, params in calls])
    if not isinstance(answers, list):
        # A node that refuses the whole batch answers with one error.
        return [_result(answers)]
    return [_result(answer) for answer in answers]
