"""``manage.py demo_data``: create or refresh the demo accounts (development only) and print
their logins."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from teletherapy.demo import DEMO_TOTP_SECRET, demo_data_load

_IN_MEMORY = "django.core.mail.backends.locmem.EmailBackend"


class Command(BaseCommand):
    help = "Create or refresh the demo accounts (development only) and print their logins."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts have public passwords: only with DEBUG=true.")
        # Matching the demo patients emails demo therapists and patients: nobody reads those
        # example.org addresses, so the messages stay in memory instead of flooding the console.
        with override_settings(MAILERS={"default": {"BACKEND": _IN_MEMORY}}):
            logins = demo_data_load()
        width = max(len(email) for _, email, _, _ in logins.rows)
        self.stdout.write(self.style.SUCCESS("Demo logins (development only):"))
        for role, email, password, note in logins.rows:
            self.stdout.write(f"  {role:<9} {email:<{width}}  {password:<20} {note}")
        self.stdout.write(
            f"Two-factor code for therapists and staff: `make totp` prints it "
            f"(authenticator secret {DEMO_TOTP_SECRET})."
        )
