"""Staff groups of least privilege, each with the Django permissions its work needs and no
more. A staff member sees in the admin only what their groups allow; superusers see everything.

- *Vetting*: therapist applications, their documents and vetting history (decide on them).
- *Matching support*: searches for a therapist (assign one), the waiting list, offers, matches,
  practice abroad. Never a patient's intake, nor what anyone wrote in their own words.
- *Clinical safety*: safety flags (follow up, mark reviewed), intakes with their free text and
  scores, emergency numbers and crisis lines.

Reading the access log itself ("Can view access log entry") is in no group: superusers, or
staff given it one by one.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "Vetting": [
        ("accounts", "therapistprofile", ("view", "change")),
        ("accounts", "therapistdocument", ("view",)),
        ("accounts", "therapistlanguage", ("view",)),
        ("accounts", "vettingdecision", ("view",)),
    ],
    "Matching support": [
        ("matching", "matchrequest", ("view", "change")),
        ("matching", "waitingpatient", ("view",)),
        ("matching", "offer", ("view",)),
        ("matching", "match", ("view",)),
        ("matching", "abroadpractice", ("view", "change")),
    ],
    "Clinical safety": [
        ("matching", "safetyflag", ("view", "change")),
        ("matching", "intake", ("view",)),
        ("matching", "screeningresult", ("view",)),
        ("matching", "emergencynumber", ("view", "change")),
        ("matching", "emergencyresource", ("view", "add", "change", "delete")),
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are made after every migration has run (post_migrate): make these apps'
    # now, so that a fresh database gets its groups in the same `migrate`.
    for label in ("accounts", "matching"):
        config = apps.get_app_config(label)
        models_module = getattr(config, "models_module", None)  # a migration state has none
        config.models_module = models_module or True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
            for app_label, model, actions in grants
            for action in actions
        ]
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only"),
        ("auth", "__latest__"),
        ("contenttypes", "__latest__"),
        ("accounts", "0002_therapist_vetting"),
        ("matching", "0005_emergency_numbers_for_every_country"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
