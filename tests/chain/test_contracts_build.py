import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from qoima.chain.compiler import (
    Compiler,
    artifact_differences,
    compare_artifacts,
    compile_contracts,
    find_compiler,
    load_artifact,
    pinned_solc_version,
    write_artifacts,
)

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = ROOT / "contracts"
ARTIFACTS_DIR = CONTRACTS_DIR / "artifacts"


# Each solcjs compile takes a couple of seconds, so the compiler is looked up once.
@pytest.fixture(scope="module")
def compiler() -> Compiler:
    return find_compiler(ROOT)


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The contract sources and committed artifacts, in a tree of their own."""
    (tmp_path / "contracts").mkdir()
    shutil.copy2(ROOT / "package.json", tmp_path / "package.json")
    shutil.copytree(CONTRACTS_DIR / "tools", tmp_path / "contracts" / "tools")
    for source in CONTRACTS_DIR.glob("*.sol"):
        shutil.copy2(source, tmp_path / "contracts" / source.name)
    shutil.copytree(ARTIFACTS_DIR, tmp_path / "contracts" / "artifacts")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    return tmp_path


def test_rebuild_is_byte_identical_to_committed_artifacts(compiler: Compiler) -> None:
    assert artifact_differences(ROOT, ARTIFACTS_DIR, compiler=compiler) == []


def test_changed_source_is_reported_until_rebuilt(compiler: Compiler, tree_copy: Path) -> None:
    source = tree_copy / "contracts" / "GasReference.sol"
    source.write_text(source.read_text() + "// a later edit\n")
    artifacts_dir = tree_copy / "contracts" / "artifacts"
    (artifacts_dir / "Retired.json").write_text("{}\n")

    differences = artifact_differences(tree_copy, artifacts_dir, compiler=compiler)

    assert len(differences) == 2
    assert differences[0].startswith("GasReferenceToken.json: differs")
    assert "sourceHash" in differences[0]
    assert differences[1].startswith("Retired.json: extra")

    rebuilt = compile_contracts(tree_copy, compiler=compiler)
    write_artifacts(rebuilt, artifacts_dir)

    assert compare_artifacts(rebuilt, artifacts_dir) == []
    assert not (artifacts_dir / "Retired.json").exists()


def test_missing_artifact_is_reported(tmp_path: Path) -> None:
    committed = {"GasReferenceToken": load_artifact("GasReferenceToken", ARTIFACTS_DIR)}

    assert compare_artifacts(committed, tmp_path) == [
        "GasReferenceToken.json: missing (contract GasReferenceToken has no artifact)"
    ]


def test_artifact_records_what_was_built() -> None:
    artifact = load_artifact("BackedAssetToken", ARTIFACTS_DIR)
    source = CONTRACTS_DIR / "BackedAssetToken.sol"

    assert artifact["contractName"] == "BackedAssetToken"
    assert artifact["sourceName"] == "contracts/BackedAssetToken.sol"
    names = {entry.get("name") for entry in artifact["abi"]}
    assert {"recordTransfers", "TransfersRecorded", "BackedAssetRefUsed", "getDocument"} <= names
    assert artifact["bytecode"].startswith("0x")
    assert len(artifact["bytecode"]) > 2
    assert len(artifact["deployedBytecode"]) > 2
    assert artifact["compiler"]["version"].split("+commit.")[0] == pinned_solc_version(ROOT)
    assert artifact["compiler"]["settings"]["evmVersion"] == "cancun"
    assert artifact["sourceHash"] == hashlib.sha256(source.read_bytes()).hexdigest()


def test_only_project_contracts_get_artifacts() -> None:
    names = {path.stem for path in ARTIFACTS_DIR.glob("*.json")}
    sources = {json.loads(path.read_text())["sourceName"] for path in ARTIFACTS_DIR.glob("*.json")}

    assert "Ownable" not in names
    assert all(source.startswith("contracts/") for source in sources)


def test_compilecontracts_check_passes_on_committed_tree() -> None:
    out = io.StringIO()

    call_command("compilecontracts", "--check", stdout=out)

    assert "match a rebuild" in out.getvalue()


def test_compilecontracts_check_fails_on_stale_artifacts_and_writes_nothing(
    tree_copy: Path,
) -> None:
    source = tree_copy / "contracts" / "GasReference.sol"
    source.write_text(source.read_text() + "// a later edit\n")
    artifact = tree_copy / "contracts" / "artifacts" / "GasReferenceToken.json"
    before = artifact.read_bytes()

    with (
        override_settings(BASE_DIR=tree_copy, CONTRACTS_DIR=tree_copy / "contracts"),
        pytest.raises(CommandError, match=r"GasReferenceToken\.json: differs"),
    ):
        call_command("compilecontracts", "--check", stdout=io.StringIO())

    assert artifact.read_bytes() == before
