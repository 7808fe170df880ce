import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from mdm.access.accounts import ROLES, create_api_user
from mdm.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Create a user in a role (group) and print an API token on the last line. With "
        "--password the user can also sign in to the admin: the password is asked twice on a "
        'terminal, or read as one line from standard input (echo "$PW" | ... --password), '
        "never taken from the command line, where other users of the machine would see it."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument(
            "--password",
            action="store_true",
            help="give the user an admin login (asked on a terminal, else one line of stdin)",
        )

    def handle(self, *args, username, role, password, **options):
        secret = self._read_password(options.get("stdin") or sys.stdin) if password else None
        try:
            token = create_api_user(username=username, role=role, password=secret)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        login = "; admin login enabled" if secret is not None else ""
        self.stdout.write(f"用户 user {username} created in role {role}{login}; API token:")
        self.stdout.write(token.key)

    @staticmethod
    def _read_password(stream) -> str:
        if stream.isatty():
            first = getpass.getpass("密码 Password: ")
            if first != getpass.getpass("再次输入 Password (again): "):
                raise CommandError("两次输入的密码不一致 / The two passwords differ")
            return first
        line = stream.readline().rstrip("\r\n")
        if not line:
            raise CommandError("标准输入中没有密码 / No password on standard input")
        return line
