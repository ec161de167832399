// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title What a backed asset token needs of the platform registry
/// @notice The registry's transfer checks and its roles; each check reverts with the rule broken.
interface IPlatformRegistry is IAccessControl {
    /// @notice Reverts unless tokens may move from `from` to `to` now.
    /// @param from The sender, or zero on mint.
    /// @param to The receiver, or zero on burn.
    /// @param forced True for a compliance forced transfer.
    function checkTransfer(address from, address to, bool forced) external view;

    /// @notice Reverts unless every pair of a batch of recorded transfers may move now.
    /// @param from The senders.
    /// @param to The receivers, in the same order.
    function checkTransfers(address[] calldata from, address[] calldata to) external view;

    /// @notice Reverts unless `from` may send to every address in `to` now.
    /// @param from The sender of every transfer.
    /// @param to The receivers.
    function checkTransfersFrom(address from, address[] calldata to) external view;

    /// @notice Reverts unless `spender` may act on an allowance now.
    /// @param spender The address spending the allowance.
    function checkSpender(address spender) external view;
}

/// @title Backed digital asset token
/// @notice One ERC-20 per backed digital asset (Law No. 193-VII, Art. 5). It carries the
/// issuer's data and the hashes of the issuance decision and the proof of rights, never holds
/// more than the backed units, and moves only between verified, unfrozen addresses.
/// @dev Every balance change passes one check in `_update`: the token's pause, the registry's
/// allowlist, frozen flags and platform pause, and the sender's partially frozen amount.
contract BackedAssetToken is ERC20, Pausable {
    /// @notice Issuer data and asset description fixed at issue.
    struct AssetData {
        bytes32 assetId;
        string name;
        string symbol;
        uint8 decimals;
        uint256 cap;
        string issuerName;
        string issuerIdNumber;
        string permitNumber;
        string assetIdentifier;
        string assetClass;
    }

    /// @notice A document as given at issue or as a new version.
    struct DocumentData {
        bytes32 name;
        string uri;
        bytes32 documentHash;
    }

    /// @notice One stored version of a document (ERC-1643 style).
    struct Document {
        string uri;
        bytes32 documentHash;
        uint256 timestamp;
    }

    bytes32 private constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    bytes32 private constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    bytes32 private constant ISSUANCE_DECISION = "issuance_decision";

    IPlatformRegistry private immutable _registry;
    bytes32 private immutable _assetId;
    uint8 private immutable _decimals;
    uint256 private immutable _cap;
    // The issuance decision the token was approved on; mints cite it.
    bytes32 private immutable _decisionHash;

    string private _issuerName;
    string private _issuerIdNumber;
    string private _permitNumber;
    string private _assetIdentifier;
    string private _assetClass;

    uint256 private _totalMinted;
    mapping(address account => uint256 amount) private _frozenTokens;
    // One bit per platform reference, 256 to a slot (as Permit2's unordered nonces): marking a
    // reference used costs a fraction of a storage slot.
    mapping(uint256 word => uint256 bits) private _usedRefs;
    // Written through a storage pointer in `_storeDocument`, which Slither does not follow.
    // slither-disable-next-line uninitialized-state
    mapping(bytes32 name => Document[] versions) private _documents;
    bytes32[] private _documentNames;
    // What `_update` is running for, set only for the duration of a forced transfer (sender
    // checks skipped) or of a recorded batch (pause and registry already checked for the whole
    // batch in one call, which is most of a batch's saving).
    uint8 private transient _mode;
    uint8 private constant MODE_FORCED = 1;
    uint8 private constant MODE_BATCH_CHECKED = 2;
    // As MODE_BATCH_CHECKED, and the batch's one sender's frozen units are checked once after
    // the batch instead of before each transfer.
    uint8 private constant MODE_SENDER_CHECKED = 3;

    /// @notice The caller lacks the registry role the function needs.
    error BackedAssetUnauthorized(address account, bytes32 role);
    /// @notice Minting `amount` would take the units ever minted above the backed units.
    error BackedAssetCapExceeded(uint256 cap, uint256 minted, uint256 amount);
    /// @notice The platform reference was used by an earlier movement.
    error BackedAssetRefUsed(uint256 ref);
    /// @notice The arrays of a batch differ in length.
    error BackedAssetArrayLengthMismatch();
    /// @notice An amount of zero where it would mean nothing.
    error BackedAssetZeroAmount();
    /// @notice The sender's unfrozen balance does not cover the amount.
    error BackedAssetInsufficientUnfrozenBalance(address account, uint256 unfrozen, uint256 needed);
    /// @notice A partial freeze would exceed the balance, or an unfreeze the frozen amount.
    error BackedAssetFreezeExceedsBalance(address account, uint256 available, uint256 amount);
    /// @notice The document name or hash is empty.
    error BackedAssetInvalidDocument(bytes32 name);
    /// @notice No document of that name is stored.
    error BackedAssetUnknownDocument(bytes32 name);
    /// @notice A batch without entries.
    error BackedAssetEmptyBatch();

    /// @notice Units were minted against an approved issuance.
    /// @param to The receiver.
    /// @param amount Units minted.
    /// @param ref The platform's reference of the mint.
    /// @param decisionHash The issuance decision the token was issued on.
    event Minted(address indexed to, uint256 amount, uint256 indexed ref, bytes32 decisionHash);
    /// @notice Units were burned on redemption.
    /// @param from The holder whose units were redeemed.
    /// @param amount Units burned.
    /// @param ref The platform's redemption reference.
    event Redeemed(address indexed from, uint256 amount, uint256 indexed ref);
    /// @notice A platform transfer was recorded next to its ERC-20 Transfer.
    /// @param ref The platform's transfer id.
    /// @param from The sender.
    /// @param to The receiver.
    /// @param amount Units moved.
    event TransferRecorded(
        uint256 indexed ref,
        address indexed from,
        address indexed to,
        uint256 amount
    );
    /// @notice A batch of platform transfers: `refs[i]` belongs to the i-th Transfer log this
    /// token emitted in the transaction before this event.
    /// @param refs The platform's transfer ids, in the order of the transfers.
    event TransfersRecorded(uint256[] refs);
    /// @notice Compliance moved tokens on a legal order.
    /// @param ref The platform's reference.
    /// @param from The address tokens were taken from.
    /// @param to The receiver.
    /// @param amount Units moved.
    /// @param legalBasisHash Hash of the legal order.
    event ForcedTransfer(
        uint256 indexed ref,
        address indexed from,
        address indexed to,
        uint256 amount,
        bytes32 legalBasisHash
    );
    /// @notice Part of an account's balance was frozen.
    /// @param account The holder.
    /// @param amount Units frozen in addition to those frozen before.
    /// @param reasonHash Hash of the legal basis.
    event TokensFrozen(address indexed account, uint256 amount, bytes32 reasonHash);
    /// @notice Part of an account's frozen balance was released, by an unfreeze or by a forced
    /// transfer that took frozen units.
    /// @param account The holder.
    /// @param amount Units released.
    /// @param reasonHash Hash of the decision or legal order that released them.
    event TokensUnfrozen(address indexed account, uint256 amount, bytes32 reasonHash);
    /// @notice The token was paused or unpaused, with the hash of the document that says why.
    /// @param paused True when paused, false when unpaused.
    /// @param reasonHash Hash of the legal basis or decision.
    event PauseReasonRecorded(bool paused, bytes32 reasonHash);
    /// @notice A document or a new version of it was stored (ERC-1643).
    /// @param name The document's name.
    /// @param uri Where it can be read.
    /// @param documentHash Its SHA-256.
    event DocumentUpdated(bytes32 indexed name, string uri, bytes32 documentHash);

    modifier onlyRegistryRole(bytes32 role) {
        if (!_registry.hasRole(role, msg.sender)) revert BackedAssetUnauthorized(msg.sender, role);
        _;
    }

    /// @notice Forms the token of an approved asset with its data and documents.
    /// @param registry_ The platform registry that governs this token.
    /// @param asset Issuer data, identifier, units and decimals.
    /// @param documents The documents at issue, with their SHA-256 hashes.
    constructor(
        IPlatformRegistry registry_,
        AssetData memory asset,
        DocumentData[] memory documents
    ) ERC20(asset.name, asset.symbol) {
        if (asset.cap == 0) revert BackedAssetZeroAmount();
        _registry = registry_;
        _assetId = asset.assetId;
        _decimals = asset.decimals;
        _cap = asset.cap;
        _issuerName = asset.issuerName;
        _issuerIdNumber = asset.issuerIdNumber;
        _permitNumber = asset.permitNumber;
        _assetIdentifier = asset.assetIdentifier;
        _assetClass = asset.assetClass;
        bytes32 decisionHash = bytes32(0);
        for (uint256 i = 0; i < documents.length; ++i) {
            _storeDocument(documents[i].name, documents[i].uri, documents[i].documentHash);
            if (documents[i].name == ISSUANCE_DECISION) decisionHash = documents[i].documentHash;
        }
        _decisionHash = decisionHash;
    }

    // ------------------------------------------------------------------ operator movements

    /// @notice Mints backed units against an approved issuance.
    /// @param to The receiver (normally the issuer's wallet).
    /// @param amount Units in the token's smallest denomination.
    /// @param ref The platform's reference of the mint; usable once.
    function mint(address to, uint256 amount, uint256 ref) external onlyRegistryRole(OPERATOR_ROLE) {
        if (amount == 0) revert BackedAssetZeroAmount();
        _useRef(ref);
        uint256 minted = _totalMinted;
        // Compared against the room left, so no amount can overflow past the cap.
        if (amount > _cap - minted) revert BackedAssetCapExceeded(_cap, minted, amount);
        _totalMinted = minted + amount;
        _mint(to, amount);
        emit Minted(to, amount, ref, _decisionHash);
    }

    /// @notice Burns units on redemption of the underlying right.
    /// @param from The holder whose units are redeemed.
    /// @param amount Units to burn.
    /// @param ref The platform's redemption reference; usable once.
    function burn(address from, uint256 amount, uint256 ref) external onlyRegistryRole(OPERATOR_ROLE) {
        if (amount == 0) revert BackedAssetZeroAmount();
        _useRef(ref);
        _burn(from, amount);
        emit Redeemed(from, amount, ref);
    }

    /// @notice Records one platform transfer on-chain.
    /// @param from The sender.
    /// @param to The receiver.
    /// @param amount Units to move.
    /// @param ref The platform's transfer id; usable once.
    function recordTransfer(
        address from,
        address to,
        uint256 amount,
        uint256 ref
    ) external onlyRegistryRole(OPERATOR_ROLE) {
        if (amount == 0) revert BackedAssetZeroAmount();
        _useRef(ref);
        _transfer(from, to, amount);
        emit TransferRecorded(ref, from, to, amount);
    }

    /// @notice Records a batch of platform transfers in one transaction.
    /// @dev One TransfersRecorded event maps the refs to the batch's Transfer logs in order.
    /// @param from The senders.
    /// @param to The receivers.
    /// @param amounts Units to move.
    /// @param refs The platform's transfer ids; each usable once.
    function recordTransfers(
        address[] calldata from,
        address[] calldata to,
        uint256[] calldata amounts,
        uint256[] calldata refs
    ) external onlyRegistryRole(OPERATOR_ROLE) {
        uint256 count = refs.length;
        if (count == 0) revert BackedAssetEmptyBatch();
        if (from.length != count || to.length != count || amounts.length != count) {
            revert BackedAssetArrayLengthMismatch();
        }
        _requireNotPaused();
        _registry.checkTransfers(from, to);
        _mode = MODE_BATCH_CHECKED;
        RefRun memory run = RefRun(type(uint256).max, 0);
        for (uint256 i = 0; i < count; ++i) {
            if (amounts[i] == 0) revert BackedAssetZeroAmount();
            _useRefInRun(run, refs[i]);
            _transfer(from[i], to[i], amounts[i]);
        }
        _usedRefs[run.word] = run.bits;
        _mode = 0;
        emit TransfersRecorded(refs);
    }

    /// @notice Records a batch of platform transfers from one sender, such as a distribution.
    /// @dev The cheapest recorded path: the sender is checked once, and its frozen units once
    /// after the batch. One TransfersRecorded event maps the refs to the Transfer logs in order.
    /// @param from The sender of every transfer.
    /// @param to The receivers.
    /// @param amounts Units to move.
    /// @param refs The platform's transfer ids; each usable once.
    function recordTransfersFrom(
        address from,
        address[] calldata to,
        uint256[] calldata amounts,
        uint256[] calldata refs
    ) external onlyRegistryRole(OPERATOR_ROLE) {
        uint256 count = refs.length;
        if (count == 0) revert BackedAssetEmptyBatch();
        if (to.length != count || amounts.length != count) revert BackedAssetArrayLengthMismatch();
        _requireNotPaused();
        _registry.checkTransfersFrom(from, to);
        _mode = MODE_SENDER_CHECKED;
        RefRun memory run = RefRun(type(uint256).max, 0);
        for (uint256 i = 0; i < count; ++i) {
            if (amounts[i] == 0) revert BackedAssetZeroAmount();
            _useRefInRun(run, refs[i]);
            _transfer(from, to[i], amounts[i]);
        }
        _usedRefs[run.word] = run.bits;
        _mode = 0;
        // What is left must still cover the frozen units: the batch moved only unfrozen ones.
        uint256 frozen = _frozenTokens[from];
        uint256 balance = balanceOf(from);
        if (frozen > balance) {
            revert BackedAssetInsufficientUnfrozenBalance(from, 0, frozen - balance);
        }
        emit TransfersRecorded(refs);
    }

    // ------------------------------------------------------------------ compliance actions

    /// @notice Moves tokens on a legal order, also from a frozen address.
    /// @dev Units taken beyond the unfrozen balance are released from the partial freeze first,
    /// with a TokensUnfrozen event citing the same legal basis (as ERC-3643 does).
    /// @param from The address tokens are taken from.
    /// @param to The receiver; must be allowlisted and not frozen.
    /// @param amount Units to move; may include partially frozen units.
    /// @param ref The platform's reference; usable once.
    /// @param legalBasisHash Hash of the legal order.
    function forcedTransfer(
        address from,
        address to,
        uint256 amount,
        uint256 ref,
        bytes32 legalBasisHash
    ) external onlyRegistryRole(COMPLIANCE_ROLE) {
        if (amount == 0) revert BackedAssetZeroAmount();
        _useRef(ref);
        uint256 frozen = _frozenTokens[from];
        if (frozen != 0) {
            uint256 balance = balanceOf(from);
            uint256 unfrozen = balance > frozen ? balance - frozen : 0;
            // Units taken beyond the unfrozen part come out of the frozen part.
            if (amount > unfrozen) {
                uint256 released = amount - unfrozen;
                if (released > frozen) released = frozen;
                _frozenTokens[from] = frozen - released;
                // Announced as any release is, so that whoever follows freezes by their events
                // keeps the frozen amount the contract holds.
                emit TokensUnfrozen(from, released, legalBasisHash);
            }
        }
        _mode = MODE_FORCED;
        _transfer(from, to, amount);
        _mode = 0;
        emit ForcedTransfer(ref, from, to, amount, legalBasisHash);
    }

    /// @notice Freezes part of an account's balance of this token.
    /// @param account The holder.
    /// @param amount Units to freeze in addition to those already frozen.
    /// @param reasonHash Hash of the legal basis.
    function freezePartialTokens(
        address account,
        uint256 amount,
        bytes32 reasonHash
    ) external onlyRegistryRole(COMPLIANCE_ROLE) {
        if (amount == 0) revert BackedAssetZeroAmount();
        uint256 frozen = _frozenTokens[account];
        uint256 balance = balanceOf(account);
        uint256 available = balance > frozen ? balance - frozen : 0;
        // Compared before adding, so no amount can overflow into a smaller frozen total.
        if (amount > available) revert BackedAssetFreezeExceedsBalance(account, available, amount);
        _frozenTokens[account] = frozen + amount;
        emit TokensFrozen(account, amount, reasonHash);
    }

    /// @notice Releases part of an account's frozen balance.
    /// @param account The holder.
    /// @param amount Units to release.
    /// @param reasonHash Hash of the decision that releases them.
    function unfreezePartialTokens(
        address account,
        uint256 amount,
        bytes32 reasonHash
    ) external onlyRegistryRole(COMPLIANCE_ROLE) {
        if (amount == 0) revert BackedAssetZeroAmount();
        uint256 frozen = _frozenTokens[account];
        if (amount > frozen) revert BackedAssetFreezeExceedsBalance(account, frozen, amount);
        _frozenTokens[account] = frozen - amount;
        emit TokensUnfrozen(account, amount, reasonHash);
    }

    /// @notice Stops every movement of this token.
    /// @param reasonHash Hash of the legal basis.
    function pause(bytes32 reasonHash) external onlyRegistryRole(COMPLIANCE_ROLE) {
        _pause();
        emit PauseReasonRecorded(true, reasonHash);
    }

    /// @notice Lets this token move again.
    /// @param reasonHash Hash of the decision that lifts the pause.
    function unpause(bytes32 reasonHash) external onlyRegistryRole(COMPLIANCE_ROLE) {
        _unpause();
        emit PauseReasonRecorded(false, reasonHash);
    }

    /// @notice Stores a new version of a document; earlier versions stay readable.
    /// @param name The document's name.
    /// @param uri Where the document can be read.
    /// @param documentHash Its SHA-256.
    function setDocument(
        bytes32 name,
        string calldata uri,
        bytes32 documentHash
    ) external onlyRegistryRole(OPERATOR_ROLE) {
        _storeDocument(name, uri, documentHash);
    }

    // ------------------------------------------------------------------ views

    /// @notice Number of decimals chosen for this asset at issue.
    /// @return The decimals.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice The backed units: no more can ever be minted.
    /// @return The cap in the smallest denomination.
    function cap() external view returns (uint256) {
        return _cap;
    }

    /// @notice Units minted since issue (burns do not lower it).
    /// @return The amount.
    function totalMinted() external view returns (uint256) {
        return _totalMinted;
    }

    /// @notice The registry that governs this token.
    /// @return The registry address.
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @notice The platform's asset id.
    /// @return The id.
    function assetId() external view returns (bytes32) {
        return _assetId;
    }

    /// @notice Issuer data (Art. 5 item 5).
    /// @return name Legal name.
    /// @return idNumber BIN or IIN.
    /// @return permitNumber Number of the permit for issue and circulation.
    function issuer()
        external
        view
        returns (string memory name, string memory idNumber, string memory permitNumber)
    {
        return (_issuerName, _issuerIdNumber, _permitNumber);
    }

    /// @notice The underlying asset.
    /// @return identifier Its registry identifier (cadastral, patent or trademark number).
    /// @return assetClass Its class (tangible asset, tangible service, IP asset, IP service).
    function underlyingAsset()
        external
        view
        returns (string memory identifier, string memory assetClass)
    {
        return (_assetIdentifier, _assetClass);
    }

    /// @notice Units of an account that cannot move except by forced transfer.
    /// @param account The holder.
    /// @return The frozen amount.
    function frozenTokens(address account) external view returns (uint256) {
        return _frozenTokens[account];
    }

    /// @notice Whether a platform reference was used.
    /// @param ref The reference.
    /// @return True if used.
    function isRefUsed(uint256 ref) external view returns (bool) {
        return _usedRefs[ref >> 8] & (1 << (ref & 0xff)) != 0;
    }

    /// @notice The latest version of a document (ERC-1643).
    /// @param name The document's name.
    /// @return uri Where it can be read.
    /// @return documentHash Its SHA-256.
    /// @return timestamp When this version was stored.
    function getDocument(
        bytes32 name
    ) external view returns (string memory uri, bytes32 documentHash, uint256 timestamp) {
        Document[] storage versions = _documents[name];
        if (versions.length == 0) revert BackedAssetUnknownDocument(name);
        Document storage latest = versions[versions.length - 1];
        return (latest.uri, latest.documentHash, latest.timestamp);
    }

    /// @notice Every version of a document, oldest first.
    /// @param name The document's name.
    /// @return The versions.
    function getDocumentVersions(bytes32 name) external view returns (Document[] memory) {
        return _documents[name];
    }

    /// @notice The names of all documents (ERC-1643).
    /// @return The names, in order of first storage.
    function getAllDocuments() external view returns (bytes32[] memory) {
        return _documentNames;
    }

    // ------------------------------------------------------------------ internals

    /// @dev OpenZeppelin's hook for every use of an allowance: the spender, too, must be a
    /// verified, unfrozen participant, so a frozen or delisted address cannot act on an
    /// allowance given before. The owner and receiver are checked in `_update`.
    function _spendAllowance(address owner, address spender, uint256 value) internal override {
        _registry.checkSpender(spender);
        super._spendAllowance(owner, spender, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        uint8 mode = _mode;
        if (mode < MODE_BATCH_CHECKED) {
            // A forced transfer carries out a legal order, which a pause must not block.
            if (mode != MODE_FORCED) _requireNotPaused();
            // Never reached from the batches' loops: they set a checked mode and ask the
            // registry once for the whole batch before the loop.
            // slither-disable-next-line calls-loop
            _registry.checkTransfer(from, to, mode == MODE_FORCED);
        }
        if (from != address(0) && mode != MODE_FORCED && mode != MODE_SENDER_CHECKED) {
            uint256 frozen = _frozenTokens[from];
            if (frozen != 0) {
                uint256 balance = balanceOf(from);
                uint256 unfrozen = balance > frozen ? balance - frozen : 0;
                if (value > unfrozen) {
                    revert BackedAssetInsufficientUnfrozenBalance(from, unfrozen, value);
                }
            }
        }
        super._update(from, to, value);
    }

    /// @dev The bitmap word a batch is filling, kept in memory: refs of a batch mostly share
    /// words, so each word is read and written once per run of refs in it, not once per ref.
    struct RefRun {
        uint256 word;
        uint256 bits;
    }

    function _useRefInRun(RefRun memory run, uint256 ref) private {
        uint256 word = ref >> 8;
        if (word != run.word) {
            if (run.word != type(uint256).max) _usedRefs[run.word] = run.bits;
            run.word = word;
            run.bits = _usedRefs[word];
        }
        uint256 bit = 1 << (ref & 0xff);
        // A ref repeated within the batch is caught here, as the bits are already set.
        if (run.bits & bit != 0) revert BackedAssetRefUsed(ref);
        run.bits |= bit;
    }

    function _useRef(uint256 ref) private {
        uint256 word = ref >> 8;
        uint256 bit = 1 << (ref & 0xff);
        uint256 bits = _usedRefs[word];
        if (bits & bit != 0) revert BackedAssetRefUsed(ref);
        _usedRefs[word] = bits | bit;
    }

    function _storeDocument(bytes32 name, string memory uri, bytes32 documentHash) private {
        if (name == bytes32(0) || documentHash == bytes32(0)) revert BackedAssetInvalidDocument(name);
        Document[] storage versions = _documents[name];
        if (versions.length == 0) _documentNames.push(name);
        versions.push(Document(uri, documentHash, block.timestamp));
        emit DocumentUpdated(name, uri, documentHash);
    }
}

/// @title Deployer of backed asset tokens
/// @notice Created by the platform registry in its constructor, so the token's creation code
/// lives here and not in the registry's runtime code, which stays well under the size limit.
contract BackedAssetTokenDeployer {
    address private immutable _registry;

    /// @notice Only the registry that created this deployer may deploy tokens through it.
    error BackedAssetDeployerUnauthorized(address caller);

    /// @notice Binds the deployer to the registry creating it.
    constructor() {
        _registry = msg.sender;
    }

    /// @notice Deploys the token of an approved asset for the registry.
    /// @param asset Issuer data, identifier, units and decimals.
    /// @param documents The documents at issue, with their SHA-256 hashes.
    /// @return The new token's address.
    function deploy(
        BackedAssetToken.AssetData calldata asset,
        BackedAssetToken.DocumentData[] calldata documents
    ) external returns (address) {
        if (msg.sender != _registry) revert BackedAssetDeployerUnauthorized(msg.sender);
        return address(new BackedAssetToken(IPlatformRegistry(_registry), asset, documents));
    }
}
