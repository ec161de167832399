// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {BackedAssetToken, BackedAssetTokenDeployer, IPlatformRegistry} from "./BackedAssetToken.sol";

/// @title Qoima platform registry
/// @notice One per platform. Holds the platform's roles, the allowlist of verified addresses
/// with a frozen flag per address, the platform-wide pause, and issues backed asset tokens.
/// @dev Every BackedAssetToken asks `checkTransfer` before any balance changes, so the allowlist,
/// the frozen flags and the pause here govern every token of the platform at once.
contract PlatformRegistry is IPlatformRegistry, AccessControl, Pausable {
    /// @notice Sends the platform's recorded movements: issue, mint, burn, recorded transfers.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice Verifies and freezes addresses, pauses, and makes forced transfers.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");

    /// @notice Name of the issuance decision, one of the two documents Art. 5 requires before
    /// a token is formed.
    bytes32 public constant ISSUANCE_DECISION = "issuance_decision";
    /// @notice Name of the proof of rights to the asset, the other document Art. 5 requires.
    bytes32 public constant PROOF_OF_RIGHTS = "proof_of_rights";

    // Both flags of an address share one slot, so a transfer check reads one slot per party.
    uint8 private constant ALLOWLISTED = 1;
    uint8 private constant FROZEN = 2;

    BackedAssetTokenDeployer private immutable _deployer;
    mapping(address account => uint8 flags) private _flags;
    mapping(bytes32 assetId => address token) private _tokens;
    address[] private _allTokens;
    uint256 private _lastAuditSeq;

    /// @notice A zero address was given where an account is required.
    error RegistryZeroAddress();
    /// @notice The address is not on the allowlist of verified participants.
    error RegistryNotAllowlisted(address account);
    /// @notice The address is frozen by compliance.
    error RegistryFrozen(address account);
    /// @notice A token for this asset id was issued already.
    error RegistryAssetExists(bytes32 assetId);
    /// @notice A document Art. 5 requires (issuance decision, proof of rights) is missing.
    error RegistryMissingDocument(bytes32 name);
    /// @notice The arrays of a batch differ in length.
    error RegistryArrayLengthMismatch();
    /// @notice An empty list was given where at least one entry is required.
    error RegistryEmptyBatch();
    /// @notice An audit anchor must follow the last one anchored: `seq` is not above `lastSeq`.
    error RegistryAuditSeqNotIncreasing(uint256 lastSeq, uint256 seq);

    /// @notice An address was added to or removed from the allowlist.
    /// @param account The address.
    /// @param allowlisted True when added, false when removed.
    event AllowlistUpdated(address indexed account, bool allowlisted);
    /// @notice An address was frozen or unfrozen, with the hash of the document that says why.
    /// @param account The address.
    /// @param frozen True when frozen, false when unfrozen.
    /// @param reasonHash Hash of the legal basis.
    event FrozenUpdated(address indexed account, bool frozen, bytes32 reasonHash);
    /// @notice The platform was paused or unpaused, with the hash of the document that says why.
    /// @param paused True when paused, false when unpaused.
    /// @param reasonHash Hash of the legal basis or decision.
    event PauseReasonRecorded(bool paused, bytes32 reasonHash);
    /// @notice A backed asset token was issued.
    /// @param assetId The platform's asset id.
    /// @param token The new token's address.
    /// @param issuerIdHash Keccak-256 of the issuer's BIN or IIN.
    /// @param decisionHash SHA-256 of the issuance decision.
    /// @param proofHash SHA-256 of the proof of rights.
    event AssetIssued(
        bytes32 indexed assetId,
        address indexed token,
        bytes32 issuerIdHash,
        bytes32 decisionHash,
        bytes32 proofHash
    );
    /// @notice The platform's audit log up to entry `seq` was anchored: `root` commits to
    /// every entry up to it, so a later change of any of them no longer matches.
    /// @param seq The sequence number of the last audit entry covered.
    /// @param root The hash committing to the log up to `seq`.
    /// @param anchoredAt The block time of the anchor.
    event AuditAnchored(uint256 indexed seq, bytes32 root, uint256 anchoredAt);

    /// @notice Creates the registry with its token deployer; `admin` then grants the roles.
    /// @param admin Account that administers the roles.
    constructor(address admin) {
        if (admin == address(0)) revert RegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _deployer = new BackedAssetTokenDeployer();
    }

    /// @notice Adds an address to, or removes it from, the allowlist.
    /// @param account The address.
    /// @param allowlisted True to allow it to hold and move tokens.
    function setAllowlisted(address account, bool allowlisted) external onlyRole(COMPLIANCE_ROLE) {
        _setAllowlisted(account, allowlisted);
    }

    /// @notice Adds addresses to, or removes them from, the allowlist in one transaction.
    /// @param accounts The addresses.
    /// @param allowlisted True to allow them to hold and move tokens.
    function setAllowlistedBatch(
        address[] calldata accounts,
        bool allowlisted
    ) external onlyRole(COMPLIANCE_ROLE) {
        if (accounts.length == 0) revert RegistryEmptyBatch();
        for (uint256 i = 0; i < accounts.length; ++i) {
            _setAllowlisted(accounts[i], allowlisted);
        }
    }

    /// @notice Freezes or unfreezes an address on every token of the platform.
    /// @param account The address.
    /// @param frozen True to freeze.
    /// @param reasonHash Hash of the legal basis for the change.
    function setFrozen(
        address account,
        bool frozen,
        bytes32 reasonHash
    ) external onlyRole(COMPLIANCE_ROLE) {
        _setFrozen(account, frozen, reasonHash);
    }

    /// @notice Freezes or unfreezes addresses in one transaction.
    /// @param accounts The addresses.
    /// @param frozen True to freeze.
    /// @param reasonHash Hash of the legal basis for the change.
    function setFrozenBatch(
        address[] calldata accounts,
        bool frozen,
        bytes32 reasonHash
    ) external onlyRole(COMPLIANCE_ROLE) {
        if (accounts.length == 0) revert RegistryEmptyBatch();
        for (uint256 i = 0; i < accounts.length; ++i) {
            _setFrozen(accounts[i], frozen, reasonHash);
        }
    }

    /// @notice Stops every movement of every token of the platform.
    /// @param reasonHash Hash of the legal basis for the pause.
    function pause(bytes32 reasonHash) external onlyRole(COMPLIANCE_ROLE) {
        _pause();
        emit PauseReasonRecorded(true, reasonHash);
    }

    /// @notice Lets tokens move again.
    /// @param reasonHash Hash of the decision that lifts the pause.
    function unpause(bytes32 reasonHash) external onlyRole(COMPLIANCE_ROLE) {
        _unpause();
        emit PauseReasonRecorded(false, reasonHash);
    }

    /// @notice Deploys the token of an approved backed asset.
    /// @dev The issuance decision and the proof of rights must be among the documents: Art. 5
    /// items 2 and 6 require both before the token is formed.
    /// @param asset The asset's issuer data, identifier, units and roles.
    /// @param documents The asset's documents with their SHA-256 hashes.
    /// @return token The address of the new token.
    function issueAsset(
        BackedAssetToken.AssetData calldata asset,
        BackedAssetToken.DocumentData[] calldata documents
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused returns (address token) {
        if (_tokens[asset.assetId] != address(0)) revert RegistryAssetExists(asset.assetId);
        bytes32 decisionHash = _requiredDocument(documents, ISSUANCE_DECISION);
        bytes32 proofHash = _requiredDocument(documents, PROOF_OF_RIGHTS);
        // The deployer is the registry's own, created in its constructor, and the token's
        // constructor calls nothing: no code runs that could enter the registry again.
        // slither-disable-next-line reentrancy-no-eth,reentrancy-benign,reentrancy-events
        token = _deployer.deploy(asset, documents);
        _tokens[asset.assetId] = token;
        _allTokens.push(token);
        emit AssetIssued(
            asset.assetId,
            token,
            keccak256(bytes(asset.issuerIdNumber)),
            decisionHash,
            proofHash
        );
    }

    /// @notice Anchors the platform's audit log on-chain up to entry `seq`.
    /// @dev Anchors only go forward: each `seq` must be above the last one anchored, so the
    /// anchors read in order describe one growing log and none can be replaced later. A pause
    /// does not stop anchoring, as the record of what happened matters most then.
    /// @param seq The sequence number of the last audit entry the root covers.
    /// @param root The hash that commits to the log up to `seq` (the entry's chained hash).
    function anchorAudit(uint256 seq, bytes32 root) external onlyRole(OPERATOR_ROLE) {
        uint256 lastSeq = _lastAuditSeq;
        if (seq <= lastSeq) revert RegistryAuditSeqNotIncreasing(lastSeq, seq);
        _lastAuditSeq = seq;
        emit AuditAnchored(seq, root, block.timestamp);
    }

    /// @notice Reverts unless tokens may move from `from` to `to` now.
    /// @dev Called by tokens from their `_update` hook; the zero address stands for mint or
    /// burn and is not checked. `forced` skips the pause and the sender's checks: a forced
    /// transfer carries out a legal order, which may take tokens from a frozen or delisted
    /// address and must not wait for a pause to end.
    /// @param from The sender, or zero on mint.
    /// @param to The receiver, or zero on burn.
    /// @param forced True for a compliance forced transfer.
    function checkTransfer(address from, address to, bool forced) external view {
        if (!forced) _requireNotPaused();
        if (from != address(0) && !forced) _requireAllowed(from);
        if (to != address(0)) _requireAllowed(to);
    }

    /// @notice Reverts unless every pair of a batch of recorded transfers may move now.
    /// @dev One call per batch instead of one per transfer; the rules are those of
    /// `checkTransfer` without the forced flag.
    /// @param from The senders.
    /// @param to The receivers, in the same order.
    function checkTransfers(
        address[] calldata from,
        address[] calldata to
    ) external view whenNotPaused {
        if (from.length != to.length) revert RegistryArrayLengthMismatch();
        // A batch usually repeats its sender (a distribution): it is checked once per run.
        address lastSender = address(0);
        for (uint256 i = 0; i < from.length; ++i) {
            address sender = from[i];
            if (sender != lastSender) {
                if (sender != address(0)) _requireAllowed(sender);
                lastSender = sender;
            }
            address receiver = to[i];
            if (receiver != address(0)) _requireAllowed(receiver);
        }
    }

    /// @notice Reverts unless `from` may send to every address in `to` now.
    /// @dev The one-sender form of `checkTransfers`, for distributions.
    /// @param from The sender of every transfer.
    /// @param to The receivers.
    function checkTransfersFrom(address from, address[] calldata to) external view whenNotPaused {
        _requireAllowed(from);
        for (uint256 i = 0; i < to.length; ++i) {
            _requireAllowed(to[i]);
        }
    }

    /// @notice Reverts unless `spender` may act on an allowance now.
    /// @dev Called by tokens when an allowance is spent; the owner and the receiver are
    /// checked by `checkTransfer` as in every movement.
    /// @param spender The address spending the allowance.
    function checkSpender(address spender) external view {
        _requireAllowed(spender);
    }

    /// @notice The sequence number of the last audit entry anchored, or zero before the first.
    /// @return The sequence number.
    function lastAuditSeq() external view returns (uint256) {
        return _lastAuditSeq;
    }

    /// @notice The contract that holds the token creation code and deploys tokens for the registry.
    /// @return The deployer's address.
    function tokenDeployer() external view returns (address) {
        return address(_deployer);
    }

    /// @notice Whether an address is on the allowlist.
    /// @param account The address.
    /// @return True if allowlisted.
    function isAllowlisted(address account) external view returns (bool) {
        return _flags[account] & ALLOWLISTED != 0;
    }

    /// @notice Whether an address is frozen.
    /// @param account The address.
    /// @return True if frozen.
    function isFrozen(address account) external view returns (bool) {
        return _flags[account] & FROZEN != 0;
    }

    /// @notice The token issued for an asset id, or zero.
    /// @param assetId The platform's asset id.
    /// @return The token address.
    function tokenOf(bytes32 assetId) external view returns (address) {
        return _tokens[assetId];
    }

    /// @notice Every token the registry has issued, in order of issue.
    /// @return The token addresses.
    function allTokens() external view returns (address[] memory) {
        return _allTokens;
    }

    function _requireAllowed(address account) private view {
        uint8 flags = _flags[account];
        if (flags & ALLOWLISTED == 0) revert RegistryNotAllowlisted(account);
        if (flags & FROZEN != 0) revert RegistryFrozen(account);
    }

    function _setAllowlisted(address account, bool allowlisted) private {
        if (account == address(0)) revert RegistryZeroAddress();
        uint8 flags = _flags[account];
        _flags[account] = allowlisted ? flags | ALLOWLISTED : flags & ~ALLOWLISTED;
        emit AllowlistUpdated(account, allowlisted);
    }

    function _setFrozen(address account, bool frozen, bytes32 reasonHash) private {
        if (account == address(0)) revert RegistryZeroAddress();
        uint8 flags = _flags[account];
        _flags[account] = frozen ? flags | FROZEN : flags & ~FROZEN;
        emit FrozenUpdated(account, frozen, reasonHash);
    }

    function _requiredDocument(
        BackedAssetToken.DocumentData[] calldata documents,
        bytes32 name
    ) private pure returns (bytes32) {
        for (uint256 i = 0; i < documents.length; ++i) {
            if (documents[i].name == name) return documents[i].documentHash;
        }
        revert RegistryMissingDocument(name);
    }
}
