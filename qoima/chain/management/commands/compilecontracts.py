import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qoima.chain.compiler import (
    ARTIFACTS_SUBDIR,
    ContractBuildError,
    analysis_input,
    compare_artifacts,
    compile_contracts,
    find_compiler,
    stale_artifacts,
    write_artifacts,
)


class Command(BaseCommand):
    help = (
        "Compile contracts/*.sol into contracts/artifacts/. With --check, write nothing and fail "
        "if the committed artifacts differ from a rebuild. With --analysis-input, write the "
        "build's standard-JSON input for static analysers such as Slither instead."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare the committed artifacts with a rebuild instead of writing them.",
        )
        parser.add_argument(
            "--analysis-input",
            dest="analysis_input_path",
            type=Path,
            metavar="PATH",
            help=(
                "Write the standard-JSON input of the build, asking for syntax trees, to PATH "
                "and compile nothing."
            ),
        )

    def handle(
        self, *args: Any, check: bool, analysis_input_path: Path | None, **options: Any
    ) -> None:
        root = Path(settings.BASE_DIR)
        contracts_dir = Path(settings.CONTRACTS_DIR)
        artifacts_dir = contracts_dir / ARTIFACTS_SUBDIR
        if analysis_input_path is not None:
            self._write_analysis_input(root, contracts_dir, analysis_input_path)
            return
        try:
            compiler = find_compiler(root)
            self.stdout.write(f"Compiler: {compiler.describe()}")
            artifacts = compile_contracts(root, contracts_dir=contracts_dir, compiler=compiler)
        except ContractBuildError as error:
            raise CommandError(str(error)) from error

        if check:
            differences = compare_artifacts(artifacts, artifacts_dir)
            if differences:
                raise CommandError(
                    "Committed contract artifacts do not match the sources; run "
                    "`python manage.py compilecontracts` and commit the result:\n  "
                    + "\n  ".join(differences)
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(artifacts)} artifact(s) in {self._shown(artifacts_dir)} match a rebuild."
                )
            )
            return

        for path in stale_artifacts(artifacts, artifacts_dir):
            self.stdout.write(f"Removed {self._shown(path)} (its contract is gone)")
        for path in write_artifacts(artifacts, artifacts_dir):
            self.stdout.write(f"Wrote {self._shown(path)}")
        self.stdout.write(self.style.SUCCESS(f"{len(artifacts)} artifact(s) written."))

    def _write_analysis_input(self, root: Path, contracts_dir: Path, path: Path) -> None:
        try:
            compiler_input = analysis_input(root, contracts_dir=contracts_dir)
        except ContractBuildError as error:
            raise CommandError(str(error)) from error
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(compiler_input, indent=1) + "\n", encoding="utf-8")
        sources = len(compiler_input["sources"])
        self.stdout.write(f"Wrote {self._shown(path)} ({sources} source(s)).")

    @staticmethod
    def _shown(path: Path) -> str:
        try:
            return str(path.relative_to(settings.BASE_DIR))
        except ValueError:
            return str(path)
