import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from teletherapy.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo therapists and staff."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts exist only with DEBUG=true.")
        period = mfa_settings.TOTP_PERIOD
        now = time.time()
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(now // period)))
        self.stdout.write(f"{code}  (valid for {period - int(now % period)} more seconds)")
