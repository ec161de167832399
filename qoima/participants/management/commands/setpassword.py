from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qoima.errors import ApplicationError
from qoima.participants.models import User
from qoima.participants.services import user_password_set

from .createstaff import read_password


class Command(BaseCommand):
    help = (
        "Set an account's password, recorded in the audit log (the admin site sets none; "
        "Django's changepassword is not recorded)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("No such user.")
        try:
            user_password_set(
                actor=None, user=user, password=read_password(stdin=options["password_stdin"])
            )
        except ApplicationError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(f"Password set for {user.get_username()}.")
