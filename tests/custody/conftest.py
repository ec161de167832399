from tests.exchange.conftest import alice, asset, bank, officer

__all__ = ["alice", "asset", "bank", "officer"]
