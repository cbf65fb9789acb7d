"""How the access log hears of what apps below it do: a password set by staff in the admin
(``accounts.signals.password_set_by_staff``)."""

from django.dispatch import receiver

from accounts.signals import password_set_by_staff
from audit import services
from audit.models import AccessEntry


@receiver(password_set_by_staff)
def log_password_set_by_staff(sender, user_id, staff, **kwargs):
    services.access_record(reader=staff, patient_id=user_id, kind=AccessEntry.Kind.PASSWORD_SET)
