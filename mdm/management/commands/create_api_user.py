from django.core.management.base import BaseCommand, CommandError

from mdm.services.accounts import ROLES, create_api_user
from mdm.services.errors import ServiceError


class Command(BaseCommand):
    help = "Create a user in a role (group) and print an API token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)

    def handle(self, *args, username, role, **options):
        try:
            token = create_api_user(username=username, role=role)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"用户 user {username} created in role {role}; API token:")
        self.stdout.write(token.key)
