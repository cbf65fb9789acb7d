"""Domain events of the accounts app, for the apps above it to react to (DESIGN.md)."""

from django.dispatch import Signal

# Sent after commit when a therapist's vetting status changes; arguments:
# therapist_id, from_status, to_status. Higher apps stop offering a therapist who is no
# longer approved, for instance.
therapist_vetting_changed = Signal()
