"""ERC-20 as EIP-20 states it, between allowlisted parties.

Each test follows a sentence of https://eips.ethereum.org/EIPS/eip-20 rather than the token's
code; where the standard leaves a choice (an allowance of 2**256 - 1), the OpenZeppelin
behaviour is checked and named as such.
"""

import pytest

from qoima.chain.contracts import ChainRevert

from .conftest import ASSET, MINTED, ZERO_ADDRESS, addr, event_args, reason

MAX_UINT256 = 2**256 - 1


def transfer_returns(token, sender, to, value):
    return token.contract.functions.transfer(to, value).call({"from": sender.address})


def approve_returns(token, owner, spender, value):
    return token.contract.functions.approve(spender, value).call({"from": owner.address})


def transfer_from_returns(token, spender, owner, to, value):
    return token.contract.functions.transferFrom(owner, to, value).call({"from": spender.address})


# ------------------------------------------------------------------ views


def test_name_symbol_and_decimals_describe_the_token(token):
    assert token.name() == ASSET.name
    assert token.symbol() == ASSET.symbol
    assert token.decimals() == ASSET.decimals


def test_total_supply_and_balances_follow_the_mint(minted_token, accounts):
    assert minted_token.total_supply() == MINTED
    assert minted_token.balance_of(accounts.issuer.address) == MINTED
    assert minted_token.balance_of(accounts.holder_a.address) == 0


def test_balance_of_an_address_that_never_held_tokens_is_zero(minted_token, accounts):
    assert minted_token.balance_of(accounts.outsider.address) == 0


# ------------------------------------------------------------------ transfer


def test_transfer_returns_true(minted_token, accounts):
    assert transfer_returns(minted_token, accounts.issuer, accounts.holder_a.address, 100) is True


def test_transfer_moves_the_value_and_fires_transfer(minted_token, accounts):
    receipt = minted_token.transfer(accounts.issuer, accounts.holder_a.address, 100)
    assert minted_token.balance_of(accounts.issuer.address) == MINTED - 100
    assert minted_token.balance_of(accounts.holder_a.address) == 100
    assert event_args(minted_token, "Transfer", receipt) == [
        {"from": addr(accounts.issuer.address), "to": addr(accounts.holder_a.address), "value": 100}
    ]


def test_transfer_of_zero_is_a_normal_transfer_and_fires_transfer(minted_token, accounts):
    assert transfer_returns(minted_token, accounts.holder_a, accounts.holder_b.address, 0) is True
    receipt = minted_token.transfer(accounts.holder_a, accounts.holder_b.address, 0)
    assert event_args(minted_token, "Transfer", receipt) == [
        {"from": addr(accounts.holder_a.address), "to": addr(accounts.holder_b.address), "value": 0}
    ]
    assert minted_token.total_supply() == MINTED


def test_transfer_of_the_whole_balance_empties_the_sender(minted_token, accounts):
    minted_token.transfer(accounts.issuer, accounts.holder_a.address, MINTED)
    assert minted_token.balance_of(accounts.issuer.address) == 0
    assert minted_token.balance_of(accounts.holder_a.address) == MINTED


def test_transfer_to_oneself_keeps_the_balance_and_fires_transfer(minted_token, accounts):
    receipt = minted_token.transfer(accounts.issuer, accounts.issuer.address, 100)
    assert minted_token.balance_of(accounts.issuer.address) == MINTED
    assert len(event_args(minted_token, "Transfer", receipt)) == 1


def test_transfer_above_the_balance_throws(minted_token, accounts):
    with pytest.raises(ChainRevert):
        minted_token.transfer(accounts.issuer, accounts.holder_a.address, MINTED + 1)
    with pytest.raises(ChainRevert):
        minted_token.transfer(accounts.holder_b, accounts.holder_a.address, 1)
    assert minted_token.balance_of(accounts.issuer.address) == MINTED
    assert minted_token.balance_of(accounts.holder_a.address) == 0


# ------------------------------------------------------------------ approve and allowance


def test_approve_returns_true(minted_token, accounts):
    assert approve_returns(minted_token, accounts.issuer, accounts.holder_a.address, 300) is True


def test_approve_sets_the_allowance_and_fires_approval(minted_token, accounts):
    owner, spender = accounts.issuer.address, accounts.holder_a.address
    receipt = minted_token.approve(accounts.issuer, spender, 300)
    assert minted_token.allowance(owner, spender) == 300
    assert event_args(minted_token, "Approval", receipt) == [
        {"owner": addr(owner), "spender": addr(spender), "value": 300}
    ]
    assert minted_token.balance_of(owner) == MINTED


def test_approve_again_overwrites_the_allowance(minted_token, accounts):
    owner, spender = accounts.issuer.address, accounts.holder_a.address
    minted_token.approve(accounts.issuer, spender, 300)
    minted_token.approve(accounts.issuer, spender, 120)
    assert minted_token.allowance(owner, spender) == 120
    receipt = minted_token.approve(accounts.issuer, spender, 0)
    assert minted_token.allowance(owner, spender) == 0
    assert event_args(minted_token, "Approval", receipt) == [
        {"owner": addr(owner), "spender": addr(spender), "value": 0}
    ]


def test_an_allowance_belongs_to_one_owner_and_spender_pair(minted_token, accounts):
    owner, spender = accounts.issuer.address, accounts.holder_a.address
    minted_token.approve(accounts.issuer, spender, 300)
    assert minted_token.allowance(spender, owner) == 0
    assert minted_token.allowance(owner, accounts.holder_b.address) == 0


# ------------------------------------------------------------------ transferFrom


def test_transfer_from_returns_true(minted_token, accounts):
    minted_token.approve(accounts.issuer, accounts.holder_a.address, 300)
    assert (
        transfer_from_returns(
            minted_token,
            accounts.holder_a,
            accounts.issuer.address,
            accounts.holder_b.address,
            200,
        )
        is True
    )


def test_transfer_from_moves_within_the_allowance_and_lowers_it(minted_token, accounts):
    owner, spender, receiver = (
        accounts.issuer.address,
        accounts.holder_a.address,
        accounts.holder_b.address,
    )
    minted_token.approve(accounts.issuer, spender, 300)
    receipt = minted_token.transfer_from(accounts.holder_a, owner, receiver, 200)
    assert minted_token.allowance(owner, spender) == 100
    assert minted_token.balance_of(owner) == MINTED - 200
    assert minted_token.balance_of(receiver) == 200
    assert minted_token.balance_of(spender) == 0
    assert event_args(minted_token, "Transfer", receipt) == [
        {"from": addr(owner), "to": addr(receiver), "value": 200}
    ]


def test_transfer_from_may_withdraw_several_times_up_to_the_allowance(minted_token, accounts):
    owner, receiver = accounts.issuer.address, accounts.holder_b.address
    minted_token.approve(accounts.issuer, accounts.holder_a.address, 300)
    minted_token.transfer_from(accounts.holder_a, owner, receiver, 100)
    minted_token.transfer_from(accounts.holder_a, owner, receiver, 200)
    assert minted_token.allowance(owner, accounts.holder_a.address) == 0
    with pytest.raises(ChainRevert):
        minted_token.transfer_from(accounts.holder_a, owner, receiver, 1)
    assert minted_token.balance_of(receiver) == 300


def test_transfer_from_above_the_allowance_throws(minted_token, accounts):
    owner, receiver = accounts.issuer.address, accounts.holder_b.address
    minted_token.approve(accounts.issuer, accounts.holder_a.address, 300)
    with pytest.raises(ChainRevert):
        minted_token.transfer_from(accounts.holder_a, owner, receiver, 301)
    assert minted_token.allowance(owner, accounts.holder_a.address) == 300
    assert minted_token.balance_of(receiver) == 0


def test_transfer_from_without_authorisation_throws(minted_token, accounts):
    with pytest.raises(ChainRevert):
        minted_token.transfer_from(
            accounts.holder_a, accounts.issuer.address, accounts.holder_a.address, 1
        )
    assert minted_token.balance_of(accounts.holder_a.address) == 0


def test_transfer_from_above_the_owners_balance_throws_within_the_allowance(minted_token, accounts):
    owner = accounts.issuer.address
    minted_token.approve(accounts.issuer, accounts.holder_a.address, MINTED * 2)
    with pytest.raises(ChainRevert):
        minted_token.transfer_from(accounts.holder_a, owner, accounts.holder_b.address, MINTED + 1)
    assert minted_token.balance_of(owner) == MINTED


# EIP-20 leaves this open; OpenZeppelin treats 2**256 - 1 as "unlimited" and never spends it.
def test_an_unlimited_allowance_is_not_decreased(minted_token, accounts):
    owner, spender = accounts.issuer.address, accounts.holder_a.address
    minted_token.approve(accounts.issuer, spender, MAX_UINT256)
    minted_token.transfer_from(accounts.holder_a, owner, accounts.holder_b.address, 250)
    assert minted_token.allowance(owner, spender) == MAX_UINT256
    assert minted_token.balance_of(accounts.holder_b.address) == 250


# ------------------------------------------------------------------ creation and destruction


def test_minting_fires_transfer_from_the_zero_address(token, accounts):
    receipt = token.mint(accounts.operator, accounts.issuer.address, MINTED, 2)
    assert event_args(token, "Transfer", receipt) == [
        {"from": ZERO_ADDRESS, "to": addr(accounts.issuer.address), "value": MINTED}
    ]


def test_burning_fires_transfer_to_the_zero_address(minted_token, accounts):
    receipt = minted_token.burn(accounts.operator, accounts.issuer.address, 40, 2)
    assert event_args(minted_token, "Transfer", receipt) == [
        {"from": addr(accounts.issuer.address), "to": ZERO_ADDRESS, "value": 40}
    ]
    assert minted_token.total_supply() == MINTED - 40


def test_total_supply_is_the_sum_of_balances_after_mixed_operations(minted_token, accounts):
    issuer, a, b = accounts.issuer, accounts.holder_a, accounts.holder_b
    minted_token.transfer(issuer, a.address, 300)
    minted_token.approve(a, b.address, 200)
    minted_token.transfer_from(b, a.address, b.address, 150)
    minted_token.mint(accounts.operator, b.address, 500, 2)
    minted_token.burn(accounts.operator, issuer.address, 100, 3)
    minted_token.record_transfer(accounts.operator, b.address, issuer.address, 50, 4)
    minted_token.forced_transfer(
        accounts.compliance, a.address, b.address, 25, 5, reason("сот ұйғарымы")
    )
    holders = [issuer.address, a.address, b.address]
    assert [minted_token.balance_of(h) for h in holders] == [650, 125, 625]
    assert minted_token.total_supply() == sum(minted_token.balance_of(h) for h in holders)
    assert minted_token.total_supply() == MINTED + 500 - 100
