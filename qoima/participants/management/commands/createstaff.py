import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qoima.errors import ApplicationError
from qoima.participants.models import Organisation, Role
from qoima.participants.services import user_create

# Holders register themselves and compliance verifies them; every other role is given here.
ROLES = [role.value for role in Role if role != Role.HOLDER]


def read_password(*, stdin: bool) -> str:
    """The password from one line of standard input, or typed twice at a terminal."""
    if stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise CommandError("The passwords differ.")
    return first


class Command(BaseCommand):
    help = (
        "Create a staff account with one role (platform admin, compliance officer, regulator, "
        "or issuer staff of a registered organisation); recorded in the audit log. The admin "
        "site cannot create accounts or grant roles."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--organisation", help="BIN / IIN of the issuer, for issuer staff")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = None
        if options["organisation"]:
            organisation = Organisation.objects.filter(
                identification_number=options["organisation"]
            ).first()
            if organisation is None:
                raise CommandError("No organisation with this BIN / IIN is registered.")
        try:
            user = user_create(
                actor=None,
                username=options["username"],
                email=options["email"],
                password=read_password(stdin=options["password_stdin"]),
                role=Role(options["role"]),
                organisation=organisation,
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ApplicationError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(f"Created {user.get_username()} ({options['role']}).")
