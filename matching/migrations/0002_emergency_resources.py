"""The emergency numbers known at launch; staff edit and extend them in the admin."""

from django.db import migrations

# 112 answers in every EU member state, and also in the EEA, Switzerland and the UK.
EUROPE_112 = (
    "AT,BE,BG,HR,CY,CZ,DK,EE,FI,FR,DE,GR,HU,IE,IT,LV,LT,LU,MT,NL,PL,PT,RO,SK,SI,ES,SE,"
    "IS,LI,NO,CH,GB"
)
RESOURCES = [
    {
        "name": "112",
        "phone": "112",
        "description_en": "Emergency services, free, day and night, from any phone.",
        "description_fr": "Services d’urgence, gratuit, jour et nuit, depuis tout téléphone.",
        "countries": EUROPE_112,
        "order": 0,
    },
    {
        "name": "3114",
        "phone": "3114",
        "description_en": "Suicide prevention line, free, day and night.",
        "description_fr": "Numéro national de prévention du suicide, gratuit, jour et nuit.",
        "countries": "FR",
        "order": 1,
    },
]


def add(apps, schema_editor):
    resource = apps.get_model("matching", "EmergencyResource")
    for fields in RESOURCES:
        resource.objects.get_or_create(name=fields["name"], defaults=fields)


def remove(apps, schema_editor):
    apps.get_model("matching", "EmergencyResource").objects.filter(
        name__in=[fields["name"] for fields in RESOURCES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
