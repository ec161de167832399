// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title Platform version marker
/// @notice Records which release of the Qoima platform a deployment belongs to, so that an
/// auditor reading the chain can tell which contract set and rules were in force.
contract PlatformVersion is Ownable {
    /// @notice The version string may not be empty: an empty marker tells an auditor nothing.
    error PlatformVersionEmpty();

    /// @notice Emitted when the owner replaces the platform version.
    /// @param previous The version in force before the change.
    /// @param current The version in force from now on.
    event VersionChanged(string previous, string current);

    string private _version;

    /// @param initialOwner Account allowed to change the version.
    /// @param initialVersion Version in force at deployment.
    constructor(address initialOwner, string memory initialVersion) Ownable(initialOwner) {
        if (bytes(initialVersion).length == 0) {
            revert PlatformVersionEmpty();
        }
        _version = initialVersion;
    }

    /// @notice Replaces the platform version.
    /// @dev Only the owner may call it; reverts with `PlatformVersionEmpty` on an empty string.
    /// @param newVersion The version in force from now on.
    function setVersion(string calldata newVersion) external onlyOwner {
        if (bytes(newVersion).length == 0) {
            revert PlatformVersionEmpty();
        }
        string memory previous = _version;
        _version = newVersion;
        emit VersionChanged(previous, newVersion);
    }

    /// @notice The platform version currently in force.
    /// @return The version string.
    function version() external view returns (string memory) {
        return _version;
    }
}
