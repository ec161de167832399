"""Build the committed contract artifacts from ``contracts/*.sol``.

The artifacts under ``contracts/artifacts/`` are what the platform deploys and talks to; a
rebuild must reproduce them byte for byte, so that what runs is what the sources say. Everything
here takes directories as arguments and does not depend on Django, so it can run before settings
exist and against a copy of the tree in tests.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version
from solcx import compile_standard
from solcx.exceptions import SolcError
from solcx.install import get_executable, get_installed_solc_versions
from solcx.wrapper import get_version_str_from_solc_binary

logger = logging.getLogger(__name__)

Artifact = dict[str, Any]

CONTRACTS_SUBDIR = "contracts"
ARTIFACTS_SUBDIR = "artifacts"
NODE_WRAPPER = Path("tools") / "solcjs"
SOLC_NPM_PACKAGE = "solc"

# Part of every artifact: changing any of these changes the bytecode of every contract.
COMPILER_SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    # The IR pipeline with a high runs figure optimises for the cost of each call over the cost
    # of deployment: contracts are deployed once and called millions of times.
    "viaIR": True,
    "optimizer": {"enabled": True, "runs": 10000},
    "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "metadata",
            ]
        }
    },
}


# What static analysers such as Slither read of a build besides what the artifacts keep: the
# syntax tree of every source, and the source maps and documentation of every contract.
ANALYSIS_OUTPUT_SELECTION: dict[str, Any] = {
    "*": {
        "": ["ast"],
        "*": ["abi", "metadata", "devdoc", "userdoc", "evm.bytecode", "evm.deployedBytecode"],
    }
}


class ContractBuildError(Exception):
    """The contracts could not be compiled into artifacts."""


class CompilerNotFoundError(ContractBuildError):
    """No solc of the pinned version is available."""


class ArtifactNotFoundError(ContractBuildError, LookupError):
    """A contract has no committed artifact."""


@dataclass(frozen=True)
class Compiler:
    """A solc executable that py-solc-x can drive."""

    binary: Path
    version: str
    kind: str

    def describe(self) -> str:
        return f"solc {self.version} ({self.kind}: {self.binary})"


def pinned_solc_version(root: Path) -> str:
    """The exact ``solc`` version pinned in the project's package.json."""
    package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    pinned = package.get("dependencies", {}).get(SOLC_NPM_PACKAGE)
    if not isinstance(pinned, str):
        raise CompilerNotFoundError(f"package.json does not depend on {SOLC_NPM_PACKAGE!r}")
    try:
        return str(Version(pinned))
    except InvalidVersion:
        # A range would let two machines build different bytecode from the same sources.
        raise CompilerNotFoundError(
            f"package.json must pin {SOLC_NPM_PACKAGE!r} to an exact version, not {pinned!r}"
        ) from None


def _long_version(binary: Path) -> str:
    return get_version_str_from_solc_binary(binary)


def _installed_by_solcx(version: Version) -> Path | None:
    try:
        installed = get_installed_solc_versions()
    except OSError:
        # py-solc-x creates ~/.solcx on first use, which fails on a read-only home.
        return None
    if version not in installed:
        return None
    return Path(get_executable(version=version))


def _npm_solc_version(root: Path) -> str | None:
    manifest = root / "node_modules" / SOLC_NPM_PACKAGE / "package.json"
    if not manifest.is_file():
        return None
    version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    return version if isinstance(version, str) else None


def find_compiler(root: Path) -> Compiler:
    """The fastest available solc of the pinned version.

    A native solc (on PATH or installed by py-solc-x) is preferred; the node wrapper around
    solcjs from node_modules works everywhere npm does, offline included.
    """
    pinned = Version(pinned_solc_version(root))

    on_path = shutil.which("solc")
    if on_path is not None:
        try:
            long_version = _long_version(Path(on_path))
        except (OSError, SolcError) as error:
            logger.warning("Ignoring %s: %s", on_path, error)
        else:
            if Version(long_version.split("+")[0]) == pinned:
                return Compiler(Path(on_path), long_version, "native solc on PATH")

    installed = _installed_by_solcx(pinned)
    if installed is not None:
        return Compiler(installed, _long_version(installed), "native solc from py-solc-x")

    wrapper = root / CONTRACTS_SUBDIR / NODE_WRAPPER
    npm_version = _npm_solc_version(root)
    if npm_version is None:
        raise CompilerNotFoundError(
            f"No solc {pinned} found: none on PATH, none installed by py-solc-x, and "
            f"node_modules/{SOLC_NPM_PACKAGE} is missing (run `npm ci`)"
        )
    if Version(npm_version) != pinned:
        raise CompilerNotFoundError(
            f"node_modules/{SOLC_NPM_PACKAGE} is {npm_version} but package.json pins {pinned} "
            "(run `npm ci`)"
        )
    if shutil.which("node") is None:
        raise CompilerNotFoundError(f"No solc {pinned} found and node is not on PATH")
    return Compiler(wrapper, _long_version(wrapper), "solcjs through the node wrapper")


def read_sources(root: Path, contracts_dir: Path | None = None) -> dict[str, bytes]:
    """Every ``*.sol`` directly under the contracts directory, by source unit name.

    Source unit names are relative to the project root (``contracts/Foo.sol``): they end up in
    the metadata hash inside the bytecode, so they must not depend on where the tree lives.
    """
    contracts_dir = contracts_dir or root / CONTRACTS_SUBDIR
    sources = {}
    for path in sorted(contracts_dir.glob("*.sol")):
        try:
            name = path.relative_to(root).as_posix()
        except ValueError:
            raise ContractBuildError(f"{contracts_dir} is not inside {root}") from None
        sources[name] = path.read_bytes()
    return sources


def build_input(sources: Mapping[str, bytes]) -> dict[str, Any]:
    """The standard-json input with every source's content embedded."""
    return {
        "language": "Solidity",
        "sources": {
            name: {"content": content.decode("utf-8")} for name, content in sources.items()
        },
        "settings": copy.deepcopy(COMPILER_SETTINGS),
    }


def analysis_input(root: Path, *, contracts_dir: Path | None = None) -> dict[str, Any]:
    """The standard-json input of the artifacts' build, asking for what analysers read.

    Sources, source unit names, remappings and settings are those of :func:`compile_contracts`,
    so an analyser fed this input looks at the contracts exactly as they are built.
    """
    root = root.resolve()
    sources = read_sources(root, (contracts_dir or root / CONTRACTS_SUBDIR).resolve())
    if not sources:
        raise ContractBuildError(f"No *.sol files in {contracts_dir or root / CONTRACTS_SUBDIR}")
    compiler_input = build_input(sources)
    compiler_input["settings"]["outputSelection"] = copy.deepcopy(ANALYSIS_OUTPUT_SELECTION)
    return compiler_input


def _report_warnings(output: dict[str, Any]) -> None:
    for diagnostic in output.get("errors", []):
        if diagnostic.get("severity") != "error":
            message = diagnostic.get("formattedMessage") or diagnostic.get("message")
            logger.warning("solc: %s", message)


def compile_contracts(
    root: Path,
    *,
    contracts_dir: Path | None = None,
    compiler: Compiler | None = None,
) -> dict[str, Artifact]:
    """Compile the project's contracts and return their artifacts by contract name.

    Only contracts defined in the project's own sources get an artifact; imported libraries
    such as OpenZeppelin are compiled in but belong to their npm package.
    """
    root = root.resolve()
    contracts_dir = (contracts_dir or root / CONTRACTS_SUBDIR).resolve()
    sources = read_sources(root, contracts_dir)
    if not sources:
        raise ContractBuildError(f"No *.sol files in {contracts_dir}")
    compiler = compiler or find_compiler(root)
    compiler_input = build_input(sources)

    # node_modules is allowed by its real path as well: in a checkout where it is a symlink,
    # native solc checks imports against the resolved location.
    allow_paths = [root, (root / "node_modules").resolve()]
    try:
        output: dict[str, Any] = compile_standard(
            compiler_input,
            base_path=root,
            allow_paths=allow_paths,
            solc_binary=compiler.binary,
        )
    except SolcError as error:
        raise ContractBuildError(f"solc failed:\n{error}") from error
    _report_warnings(output)

    artifacts: dict[str, Artifact] = {}
    for source_name, content in sources.items():
        source_hash = hashlib.sha256(content).hexdigest()
        for contract_name, compiled in output.get("contracts", {}).get(source_name, {}).items():
            if contract_name in artifacts:
                raise ContractBuildError(
                    f"Contract {contract_name} is defined in both "
                    f"{artifacts[contract_name]['sourceName']} and {source_name}; "
                    "artifact file names must be unique"
                )
            metadata = json.loads(compiled["metadata"])
            artifacts[contract_name] = {
                "contractName": contract_name,
                "sourceName": source_name,
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "compiler": {
                    # From the metadata, not the binary's banner: native solc and solcjs of
                    # one release give the same string, so either rebuilds the same artifact.
                    "version": metadata["compiler"]["version"],
                    "settings": copy.deepcopy(COMPILER_SETTINGS),
                },
                "sourceHash": source_hash,
            }
    return artifacts


def serialise_artifact(artifact: Artifact) -> bytes:
    return (json.dumps(artifact, indent=2, sort_keys=True) + "\n").encode("utf-8")


def artifact_path(name: str, artifacts_dir: Path) -> Path:
    return artifacts_dir / f"{name}.json"


def stale_artifacts(artifacts: dict[str, Artifact], artifacts_dir: Path) -> list[Path]:
    """Artifact files whose contract no longer exists in the sources."""
    if not artifacts_dir.is_dir():
        return []
    return sorted(path for path in artifacts_dir.glob("*.json") if path.stem not in artifacts)


def write_artifacts(artifacts: dict[str, Artifact], out_dir: Path) -> list[Path]:
    """Write one file per artifact, remove stale ones, and return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in stale_artifacts(artifacts, out_dir):
        stale.unlink()
    written = []
    for name in sorted(artifacts):
        path = artifact_path(name, out_dir)
        # Replace atomically so that a running platform never reads a half-written artifact.
        # The temporary file is created with plain open() so that it gets the umask's usual
        # permissions rather than tempfile's owner-only ones.
        temporary = out_dir / f".{path.name}.{os.getpid()}.tmp"
        try:
            temporary.write_bytes(serialise_artifact(artifacts[name]))
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        written.append(path)
    return written


def compare_artifacts(artifacts: dict[str, Artifact], artifacts_dir: Path) -> list[str]:
    """How the files in ``artifacts_dir`` differ from ``artifacts``; empty when they match."""
    differences = []
    for name in sorted(artifacts):
        path = artifact_path(name, artifacts_dir)
        if not path.is_file():
            differences.append(f"{path.name}: missing (contract {name} has no artifact)")
            continue
        committed = path.read_bytes()
        if committed != serialise_artifact(artifacts[name]):
            differences.append(
                f"{path.name}: differs from a rebuild{_changed_keys(committed, artifacts[name])}"
            )
    differences.extend(
        f"{path.name}: extra (no contract {path.stem} in the sources)"
        for path in stale_artifacts(artifacts, artifacts_dir)
    )
    return differences


def _changed_keys(committed: bytes, rebuilt: Artifact) -> str:
    try:
        previous = json.loads(committed)
    except ValueError:
        return " (not valid JSON)"
    if not isinstance(previous, dict):
        return " (not a JSON object)"
    keys = sorted(
        key for key in previous.keys() | rebuilt.keys() if previous.get(key) != rebuilt.get(key)
    )
    return f" ({', '.join(keys)})" if keys else " (formatting)"


def artifact_differences(
    root: Path,
    artifacts_dir: Path,
    *,
    contracts_dir: Path | None = None,
    compiler: Compiler | None = None,
) -> list[str]:
    """Rebuild in memory and report each artifact file that does not match the rebuild."""
    artifacts = compile_contracts(root, contracts_dir=contracts_dir, compiler=compiler)
    return compare_artifacts(artifacts, artifacts_dir)


def load_artifact(name: str, artifacts_dir: Path) -> Artifact:
    """The committed artifact of contract ``name``."""
    path = artifact_path(name, artifacts_dir)
    try:
        artifact: Artifact = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactNotFoundError(
            f"No artifact for contract {name} at {path}; run `python manage.py compilecontracts`"
        ) from None
    return artifact
