"""The contract linters as `make contracts-lint` runs them: their committed configurations catch
a contract that breaks a rule, and Slither reads the build's own standard-JSON input."""

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from qoima.chain.compiler import COMPILER_SETTINGS, analysis_input

ROOT = Path(__file__).resolve().parents[2]
SOLHINT = ROOT / "node_modules" / ".bin" / "solhint"
SLITHER = ROOT / ".venv-slither" / "bin" / "slither"

# Sends its whole balance wherever the caller says, after asking `tx.origin` who that is: both
# linters have a rule against it.
CARELESS_VAULT = """\
// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.28;

/// @title A vault that trusts tx.origin
/// @notice Pays out to whoever started the transaction.
contract CarelessVault {
    /// @notice The account that may withdraw.
    address public owner;

    /// @notice Makes the deployer the owner.
    constructor() {
        owner = msg.sender;
    }

    /// @notice Sends the whole balance.
    /// @param to The receiver.
    function withdraw(address payable to) external {
        require(tx.origin == owner, "not owner");
        to.transfer(address(this).balance);
    }
}
"""


@pytest.fixture
def careless_tree(tmp_path: Path) -> Path:
    """A project tree whose only contract breaks the rules, with the project's compiler."""
    (tmp_path / "contracts").mkdir()
    shutil.copy2(ROOT / "package.json", tmp_path / "package.json")
    shutil.copytree(ROOT / "contracts" / "tools", tmp_path / "contracts" / "tools")
    (tmp_path / "contracts" / "CarelessVault.sol").write_text(CARELESS_VAULT)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    return tmp_path


def test_analysis_input_is_the_build_asking_for_syntax_trees() -> None:
    compiler_input = analysis_input(ROOT)

    assert sorted(compiler_input["sources"]) == [
        "contracts/BackedAssetToken.sol",
        "contracts/GasReference.sol",
        "contracts/PlatformRegistry.sol",
    ]
    settings = compiler_input["settings"]
    assert settings["outputSelection"]["*"][""] == ["ast"]
    assert {key: value for key, value in settings.items() if key != "outputSelection"} == {
        key: value for key, value in COMPILER_SETTINGS.items() if key != "outputSelection"
    }


def test_compilecontracts_writes_the_analysis_input(tmp_path: Path) -> None:
    out = io.StringIO()
    target = tmp_path / "lint" / "input.json"

    call_command("compilecontracts", "--analysis-input", str(target), stdout=out)

    assert json.loads(target.read_text()) == analysis_input(ROOT)
    assert out.getvalue().startswith(f"Wrote {target} (3 source(s)).")


def _run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.skipif(not SOLHINT.exists(), reason="solhint is installed by `npm ci`")
def test_solhint_configuration_refuses_a_contract_that_breaks_a_rule(careless_tree: Path) -> None:
    command: list[str | Path] = [SOLHINT, "--disc", "--noPoster", "--max-warnings", "0"]
    config: list[str | Path] = ["--config", ROOT / ".solhintrc.yaml"]

    careless = _run([*command, *config, "contracts/CarelessVault.sol"], careless_tree)
    committed = _run([*command, "contracts/*.sol"], ROOT)

    assert careless.returncode != 0
    assert "avoid-tx-origin" in careless.stdout
    assert committed.returncode == 0, committed.stdout


@pytest.mark.skipif(not SLITHER.exists(), reason="Slither is installed by `make contracts-lint`")
def test_slither_configuration_refuses_a_contract_that_breaks_a_rule(careless_tree: Path) -> None:
    target = careless_tree / "var" / "input.json"
    target.parent.mkdir()
    target.write_text(json.dumps(analysis_input(careless_tree)))

    result = _run([SLITHER, target, "--config-file", ROOT / "slither.config.json"], careless_tree)

    assert result.returncode != 0
    assert "Detector: tx-origin" in result.stdout + result.stderr
    assert "CarelessVault.withdraw(address)" in result.stdout + result.stderr
