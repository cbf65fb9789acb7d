"""``manage.py audit_verify [--patient ID]``: walk the access log's hash chains and say whether
they are intact; exit status 1 at the first broken link (which entry, and how)."""

from django.core.management.base import BaseCommand, CommandError

from audit.selectors import access_log_verify


class Command(BaseCommand):
    help = "Check the access log's hash chains; fail at the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--patient", type=int, help="Only this patient's chain (a user id).")

    def handle(self, *args, patient=None, **options):
        report = access_log_verify(patient_id=patient)
        broken = report.broken
        if broken is not None:
            raise CommandError(
                f"Broken link: patient {broken.patient_id}, entry {broken.seq} "
                f"(id {broken.entry_id}): {broken.reason.value}."
            )
        self.stdout.write(f"{report.entries} entries in {report.chains} chains: intact.")
