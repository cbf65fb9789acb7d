"""Domain events of the accounts app, for the apps above it to react to (DESIGN.md)."""

from django.dispatch import Signal

# Sent after commit when a therapist's vetting status changes; arguments:
# therapist_id, from_status, to_status. Higher apps stop offering a therapist who is no
# longer approved, for instance.
therapist_vetting_changed = Signal()

# Sent when staff set (or remove) a user's password in the admin, right after it is saved;
# arguments: user_id (whose password), staff (the User who did it). The access log records it
# (audit.receivers): a password set by someone else could open the account to them.
password_set_by_staff = Signal()
