// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Plain ERC-20 for gas comparison
/// @notice An OpenZeppelin ERC-20 with no rules at all: the floor the platform's recorded,
/// allowlist-checked transfers are measured against in `make bench`. Never deployed for real.
contract GasReferenceToken is ERC20 {
    /// @notice The arrays of a batch differ in length.
    error GasReferenceArrayLengthMismatch();

    /// @notice Mints the whole supply to the deployer.
    /// @param initialSupply Units minted to the deployer.
    constructor(uint256 initialSupply) ERC20("Gas Reference", "GASREF") {
        _mint(msg.sender, initialSupply);
    }

    /// @notice Bare batched transfer from the caller: the cheapest way to move many amounts.
    /// @param to The receivers.
    /// @param amounts Units to move to each.
    function batchTransfer(address[] calldata to, uint256[] calldata amounts) external {
        if (to.length != amounts.length) revert GasReferenceArrayLengthMismatch();
        for (uint256 i = 0; i < to.length; ++i) {
            _transfer(msg.sender, to[i], amounts[i]);
        }
    }
}
