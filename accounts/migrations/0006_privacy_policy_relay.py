"""The privacy policy's second version: its first said that calls "never pass through our
servers", which stopped being true once calls may go through the platform's TURN relay (and
always do with ICE_TRANSPORT_POLICY=relay). The new words say what the relay is and is not, and
mention the waiting room's one record. It takes effect when this migration runs; everyone is
asked to accept it at their next visit, with what changed. Only when the policy in effect is
still the first version: a deployment whose staff wrote their own later version keeps it."""

from django.db import migrations
from django.utils import timezone

OLD_EN = (
    "Video and phone sessions go directly between your browser and your therapist's, "
    "encrypted; they never pass through our servers and we never record or listen to them. "
    "We keep only when each of you joined and left."
)
NEW_EN = (
    "Video and phone sessions are encrypted from your browser to your therapist's. When your "
    "networks cannot reach each other directly (and, on some deployments, always, so that "
    "neither of you learns the other's network address), they pass through our relay server, "
    "which forwards them still encrypted: it cannot read, hear or record them. We never record "
    "or listen to sessions. We keep only when each of you joined and left, and when your "
    "therapist let you in from the waiting room."
)
OLD_FR = (
    "Les séances en vidéo et par téléphone passent directement entre votre navigateur et celui "
    "de votre thérapeute, chiffrées ; elles ne passent pas par nos serveurs et nous ne les "
    "enregistrons ni ne les écoutons jamais. Nous gardons seulement l’heure à laquelle chacun "
    "est arrivé et reparti."
)
NEW_FR = (
    "Les séances en vidéo et par téléphone sont chiffrées de votre navigateur à celui de votre "
    "thérapeute. Quand vos réseaux ne peuvent pas se joindre directement (et, sur certains "
    "déploiements, toujours, pour qu’aucun de vous ne connaisse l’adresse réseau de l’autre), "
    "elles passent par notre serveur relais, qui les transmet toujours chiffrées : il ne peut ni "
    "les lire, ni les entendre, ni les enregistrer. Nous n’enregistrons ni n’écoutons jamais les "
    "séances. Nous gardons seulement l’heure à laquelle chacun est arrivé et reparti, et celle à "
    "laquelle votre thérapeute vous a fait entrer depuis la salle d’attente."
)
CHANGES_EN = (
    "Calls may pass through our relay server, still encrypted from browser to browser: it "
    "cannot read, hear or record them. We also keep when you were let in from the waiting room."
)
CHANGES_FR = (
    "Les appels peuvent passer par notre serveur relais, toujours chiffrés de navigateur à "
    "navigateur : il ne peut ni les lire, ni les entendre, ni les enregistrer. Nous gardons "
    "aussi l’heure à laquelle vous êtes entré·e depuis la salle d’attente."
)


def add(apps, schema_editor):
    document = apps.get_model("accounts", "LegalDocument")
    latest = document.objects.filter(kind="privacy").order_by("-version").first()
    if latest is None or latest.version != 1:
        return
    if OLD_EN not in latest.body_en or OLD_FR not in latest.body_fr:
        return
    now = timezone.now()
    document.objects.create(
        kind="privacy",
        version=2,
        title_en=latest.title_en,
        title_fr=latest.title_fr,
        body_en=latest.body_en.replace(OLD_EN, NEW_EN),
        body_fr=latest.body_fr.replace(OLD_FR, NEW_FR),
        changes_en=CHANGES_EN,
        changes_fr=CHANGES_FR,
        published_at=now,
        created_at=now,
    )


def remove(apps, schema_editor):
    document = apps.get_model("accounts", "LegalDocument")
    document.objects.filter(
        kind="privacy", version=2, changes_en=CHANGES_EN, acceptances__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_erasure_and_encrypted_documents")]
    operations = [migrations.RunPython(add, remove)]
