from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qoima.chain.compiler import (
    ARTIFACTS_SUBDIR,
    ContractBuildError,
    compare_artifacts,
    compile_contracts,
    find_compiler,
    stale_artifacts,
    write_artifacts,
)


class Command(BaseCommand):
    help = (
        "Compile contracts/*.sol into contracts/artifacts/. With --check, write nothing and fail "
        "if the committed artifacts differ from a rebuild."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare the committed artifacts with a rebuild instead of writing them.",
        )

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        root = Path(settings.BASE_DIR)
        contracts_dir = Path(settings.CONTRACTS_DIR)
        artifacts_dir = contracts_dir / ARTIFACTS_SUBDIR
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

    @staticmethod
    def _shown(path: Path) -> str:
        try:
            return str(path.relative_to(settings.BASE_DIR))
        except ValueError:
            return str(path)
