"""The platform's figures: validation, signing, anvil and the compiler (the audit log's are in
bench/audit.py)."""

import statistics
import time
from collections.abc import Callable

from eth_account import Account

from qoima.chain.anvil import AnvilNode, free_port
from qoima.chain.compiler import compile_contracts
from qoima.participants.identifiers import parse_identification_number

from .paths import ROOT

Row = tuple[str, str, str]
HEADER = ("figure", "value", "measured")


def rate(label: str, count: int, work: Callable[[], object], unit: str) -> Row:
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    return (label, f"{count / elapsed:,.0f} {unit}/s", f"{count:,} in {elapsed:.2f} s")


def seconds(label: str, work: Callable[[], object], repeat: int = 3) -> Row:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return (label, f"{statistics.median(samples):.2f} s", f"median of {repeat}")


def bench_identifiers() -> Row:
    numbers = ["940140000385", "950341000052", "791028302728"] * 20_000

    def work() -> None:
        for number in numbers:
            parse_identification_number(number)

    return rate("BIN/IIN validation", len(numbers), work, "numbers")


def bench_signing() -> Row:
    account = Account.create()
    count = 2_000

    def work() -> None:
        for nonce in range(count):
            account.sign_transaction(
                {
                    "to": "0x" + "11" * 20,
                    "value": 1,
                    "gas": 21_000,
                    "maxFeePerGas": 2 * 10**9,
                    "maxPriorityFeePerGas": 10**9,
                    "nonce": nonce,
                    "chainId": 31337,
                }
            )

    return rate("eth-account signing", count, work, "tx")


def bench_anvil() -> Row:
    def start_stop() -> None:
        AnvilNode(node_modules=ROOT / "node_modules", port=free_port()).start().stop()

    return seconds("anvil start to first answer", start_stop)


def bench_compile() -> Row:
    return seconds("compile contracts (py-solc-x)", lambda: compile_contracts(ROOT), repeat=1)


def measure() -> list[Row]:
    return [bench_identifiers(), bench_signing(), bench_anvil(), bench_compile()]
