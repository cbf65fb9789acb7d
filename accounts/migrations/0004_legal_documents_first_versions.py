"""The first version of each legal document (privacy policy, terms of use, telehealth consent),
in English and French, in effect from the moment this migration runs: plain words about what this
platform is and is not. Later versions are new rows staff write in the admin."""

from django.db import migrations
from django.utils import timezone

PRIVACY_EN = """Havre is an online service that puts adults who want therapy in touch with qualified therapists, for messages between sessions and for sessions by video, phone or live chat. This policy says, plainly, what we keep about you, why, who can see it and what you can do about it.

## Havre is not an emergency service
If you are in danger right now, call 112 (anywhere in the European Union) or, in France, 3114 (suicide prevention, day and night). Your therapist does not read messages around the clock.

## What we keep, and why
- Your account: your email address (to log in and to tell you that something new awaits you), your password (only as a one-way hash: nobody can read it), your language, time zone, nickname and country of residence.
- Your questionnaire: what brings you, your goals, your preferences for a therapist, your languages, and your answers and scores to two standard questionnaires (PHQ-9 and GAD-7). We use them to propose a therapist, and your therapist uses them to follow how you are doing.
- Your care: the therapists proposed to you and why, your messages and the files you send, your appointments, your check-ins, and the notes your therapist writes about your sessions.
- Security records: when you logged in, and from which browser and system (as your device names them, never where you are), and every time someone other than you read your record.

## Your health data and your consent
What you tell us is health data. We process it only because you gave us your explicit consent when you created your account, and only to provide this service. You can withdraw that consent at any time by deleting your account.

## Who sees what
- Your therapist sees your nickname — never your email address — with your questionnaire, messages, appointments and check-ins, once they have accepted to work with you.
- A therapist to whom your request is proposed sees your nickname, your concerns, your goals, the bands of your scores and your preferences, to decide; not your own words.
- If you change therapist, the former one can no longer see anything new. The next one reads your earlier messages only if you allow it.
- Our staff see what they need to run the service: checking therapists, helping with matching, following safety alerts. Every time someone other than you reads your record, it is logged, and you can see it on your Privacy page.
- Nobody else. We sell nothing, show no advertising, and load nothing from other websites: no trackers, no third-party fonts or scripts.

## Sessions are never recorded
Video and phone sessions go directly between your browser and your therapist's, encrypted; they never pass through our servers and we never record or listen to them. We keep only when each of you joined and left. Lines written in a session's live chat are kept, encrypted, in your conversation, like messages.

## How we protect it
- Messages, files and session notes are encrypted before they are stored.
- Every page and connection is encrypted (HTTPS).
- Therapists and staff log in with a second factor (a code from an app on their phone).
- You are logged out after a while without activity (30 minutes; 10 on a shared device), and you can see where you are logged in and sign out those places.
- Our emails never say what they are about: “you have a new message”, never the message.

## How long we keep it
- An account whose email address is never confirmed is deleted after 7 days.
- The rest is kept while your account is open. When you delete your account, you have 14 days to change your mind; then your data is destroyed, including in our backups (we destroy the key that encrypts it). What the law obliges your therapist to keep (their clinical notes: 20 years in France) is kept apart, without your name, until that period ends.

## Your rights
- See and download everything we keep about you (Privacy → Download my data).
- Correct it (your profile) or have it deleted (Privacy → Delete my account).
- See who read your record (Privacy → Who saw my record).
- Complain to a data protection authority: in France, the CNIL (www.cnil.fr).

## Contact
For any question about your data, write to us at the address below this text."""

PRIVACY_FR = """Havre est un service en ligne qui met en relation des adultes qui souhaitent une thérapie avec des thérapeutes qualifiés, pour échanger des messages entre les séances et pour des séances en vidéo, par téléphone ou par chat. Cette politique dit simplement ce que nous gardons à votre sujet, pourquoi, qui peut le voir et ce que vous pouvez en faire.

## Havre n’est pas un service d’urgence
Si vous êtes en danger maintenant, appelez le 112 (partout dans l’Union européenne) ou, en France, le 3114 (prévention du suicide, jour et nuit). Votre thérapeute ne lit pas ses messages à toute heure.

## Ce que nous gardons, et pourquoi
- Votre compte : votre adresse e-mail (pour vous connecter et vous prévenir que quelque chose de nouveau vous attend), votre mot de passe (seulement sous forme d’empreinte : personne ne peut le lire), votre langue, votre fuseau horaire, votre pseudonyme et votre pays de résidence.
- Votre questionnaire : ce qui vous amène, vos objectifs, vos préférences quant au thérapeute, vos langues, et vos réponses et scores à deux questionnaires standard (PHQ-9 et GAD-7). Nous nous en servons pour vous proposer un thérapeute, et votre thérapeute pour suivre comment vous allez.
- Votre suivi : les thérapeutes qui vous ont été proposés et pourquoi, vos messages et les fichiers que vous envoyez, vos rendez-vous, vos bilans, et les notes que votre thérapeute écrit sur vos séances.
- Des traces de sécurité : quand vous vous êtes connecté·e, depuis quel navigateur et quel système (tels que votre appareil les nomme, jamais l’endroit où vous êtes), et chaque lecture de votre dossier par quelqu’un d’autre que vous.

## Vos données de santé et votre consentement
Ce que vous nous confiez sont des données de santé. Nous ne les traitons que parce que vous nous avez donné votre consentement explicite en créant votre compte, et seulement pour fournir ce service. Vous pouvez le retirer à tout moment en supprimant votre compte.

## Qui voit quoi
- Votre thérapeute voit votre pseudonyme — jamais votre adresse e-mail — avec votre questionnaire, vos messages, vos rendez-vous et vos bilans, une fois qu’il a accepté de vous suivre.
- Un thérapeute à qui votre demande est proposée voit votre pseudonyme, vos motifs, vos objectifs, les niveaux de vos scores et vos préférences, pour décider ; pas vos propres mots.
- Si vous changez de thérapeute, l’ancien ne voit plus rien de nouveau. Le suivant ne lit vos messages précédents que si vous l’y autorisez.
- Notre équipe voit ce dont elle a besoin pour faire fonctionner le service : vérifier les thérapeutes, aider à la mise en relation, suivre les alertes de sécurité. Chaque lecture de votre dossier par quelqu’un d’autre que vous est consignée, et vous pouvez la voir sur votre page Confidentialité.
- Personne d’autre. Nous ne vendons rien, ne montrons aucune publicité et ne chargeons rien depuis d’autres sites : ni traceur, ni police ou script d’un tiers.

## Les séances ne sont jamais enregistrées
Les séances en vidéo et par téléphone passent directement entre votre navigateur et celui de votre thérapeute, chiffrées ; elles ne passent pas par nos serveurs et nous ne les enregistrons ni ne les écoutons jamais. Nous gardons seulement l’heure à laquelle chacun est arrivé et reparti. Les lignes écrites dans le chat d’une séance sont gardées, chiffrées, dans votre conversation, comme des messages.

## Comment nous les protégeons
- Les messages, les fichiers et les notes de séance sont chiffrés avant d’être enregistrés.
- Chaque page et chaque connexion est chiffrée (HTTPS).
- Les thérapeutes et notre équipe se connectent avec un second facteur (un code donné par une application sur leur téléphone).
- Vous êtes déconnecté·e après un moment sans activité (30 minutes ; 10 sur un appareil partagé), et vous pouvez voir où vous êtes connecté·e et vous y déconnecter.
- Nos e-mails ne disent jamais de quoi il s’agit : « vous avez un nouveau message », jamais le message.

## Combien de temps nous les gardons
- Un compte dont l’adresse e-mail n’est jamais confirmée est supprimé après 7 jours.
- Le reste est gardé tant que votre compte est ouvert. Quand vous supprimez votre compte, vous avez 14 jours pour changer d’avis ; ensuite vos données sont détruites, y compris dans nos sauvegardes (nous détruisons la clé qui les chiffre). Ce que la loi oblige votre thérapeute à conserver (ses notes cliniques : 20 ans en France) est gardé à part, sans votre nom, jusqu’à la fin de cette durée.

## Vos droits
- Voir et télécharger tout ce que nous gardons à votre sujet (Confidentialité → Télécharger mes données).
- Le corriger (votre profil) ou le faire supprimer (Confidentialité → Supprimer mon compte).
- Voir qui a lu votre dossier (Confidentialité → Qui a vu mon dossier).
- Vous plaindre auprès d’une autorité de protection des données : en France, la CNIL (www.cnil.fr).

## Contact
Pour toute question sur vos données, écrivez-nous à l’adresse indiquée sous ce texte."""

TERMS_EN = """These terms say what Havre offers, what it does not, and what we ask of everyone who uses it.

## The service
Havre puts adults who want therapy in touch with qualified therapists: a questionnaire, a therapist proposed within 24 hours, messages between sessions, and sessions by video, phone or live chat, booked in the therapist's calendar.

## Not for emergencies
Havre is not an emergency service, and your therapist does not answer around the clock. If you are in danger, call 112 (anywhere in the European Union) or, in France, 3114.

## Who may use it
- Adults only: you must be 18 or older.
- One account per person, with a real email address that is yours. Your nickname need not be your real name.

## Therapists
Therapists are independent professionals and answer for the care they give, under the rules of their licence. Before a therapist can see anyone, our team checks their degree (a master's or higher), their licence, at least three years of practice and 2,000 clinical hours; a therapist whose licence expires is suspended until it is renewed. We do not provide care ourselves.

## Your account
- Keep your password to yourself. On a computer or phone that others use, tick “This is a shared device” when you log in.
- You are logged out after a while without activity, to protect you.
- You can change therapist at any time, and delete your account at any time.

## Respect
No harassment, threats or unlawful content, toward a therapist, a patient or our team. A therapist may end a therapy; we may suspend an account that puts others at risk, and we say why.

## Sessions
You book, move and cancel sessions on the site. Cancelling less than 24 hours before a session is recorded as a late cancellation, and such a session can no longer be moved.

## When these terms change
We write what changed, and you are asked to accept the new version at your next login, before anything else. If you do not accept it, you can download your data and delete your account.

## Contact
Write to us at the address below this text."""

TERMS_FR = """Ces conditions disent ce que Havre propose, ce qu’il ne propose pas, et ce que nous demandons à toutes les personnes qui l’utilisent.

## Le service
Havre met en relation des adultes qui souhaitent une thérapie avec des thérapeutes qualifiés : un questionnaire, un thérapeute proposé sous 24 heures, des messages entre les séances, et des séances en vidéo, par téléphone ou par chat, réservées dans l’agenda du thérapeute.

## Pas pour les urgences
Havre n’est pas un service d’urgence, et votre thérapeute ne répond pas à toute heure. Si vous êtes en danger, appelez le 112 (partout dans l’Union européenne) ou, en France, le 3114.

## Qui peut l’utiliser
- Les adultes seulement : vous devez avoir 18 ans ou plus.
- Un compte par personne, avec une vraie adresse e-mail qui est la vôtre. Votre pseudonyme n’a pas besoin d’être votre vrai nom.

## Les thérapeutes
Les thérapeutes sont des professionnels indépendants et répondent des soins qu’ils donnent, selon les règles de leur autorisation d’exercer. Avant qu’un thérapeute puisse voir qui que ce soit, notre équipe vérifie son diplôme (master ou plus), son autorisation d’exercer, au moins trois ans de pratique et 2 000 heures cliniques ; un thérapeute dont l’autorisation expire est suspendu jusqu’à son renouvellement. Nous ne donnons pas de soins nous-mêmes.

## Votre compte
- Gardez votre mot de passe pour vous. Sur un ordinateur ou un téléphone que d’autres utilisent, cochez « Cet appareil est partagé » en vous connectant.
- Vous êtes déconnecté·e après un moment sans activité, pour vous protéger.
- Vous pouvez changer de thérapeute à tout moment, et supprimer votre compte à tout moment.

## Le respect
Ni harcèlement, ni menaces, ni contenu illicite, envers un thérapeute, un patient ou notre équipe. Un thérapeute peut mettre fin à une thérapie ; nous pouvons suspendre un compte qui met d’autres personnes en danger, et nous disons pourquoi.

## Les séances
Vous réservez, déplacez et annulez vos séances sur le site. Une annulation moins de 24 heures avant une séance est enregistrée comme tardive, et cette séance ne peut plus être déplacée.

## Quand ces conditions changent
Nous écrivons ce qui a changé, et il vous est demandé d’accepter la nouvelle version à votre prochaine connexion, avant toute autre chose. Si vous ne l’acceptez pas, vous pouvez télécharger vos données et supprimer votre compte.

## Contact
Écrivez-nous à l’adresse indiquée sous ce texte."""

TELEHEALTH_EN = """Therapy on Havre happens at a distance. Before you start, here is what that means, so that you agree to it knowing its limits.

## What you agree to
To receive psychological support at a distance: messages with your therapist between sessions, and sessions by video, phone or live chat, in your browser.

## Its limits
- It is not for emergencies. Your therapist answers messages in their working hours, not at once. If you are in danger, call 112 (anywhere in the European Union) or, in France, 3114.
- Technology can fail. If a session is cut off, it reconnects by itself when it can; otherwise your therapist will offer another time.
- Some situations need care in person. Your therapist may advise you to see someone near you, and will tell you why.
- Your therapist is licensed in the country where you live (or, when their licence allows it, in the country you come from).

## Privacy during sessions
- We never record sessions. Please do not record them either without the other person's agreement.
- Choose a place where you cannot be overheard, and use headphones if you can.
- On a device that others use, tick “This is a shared device” when you log in.

## Confidentiality and its limits
Your therapist is bound by professional secrecy, as in person. The same exceptions apply as in person: when the law requires it, for instance to protect someone in serious and imminent danger.

## You can stop at any time
You can stop booking sessions, change therapist, or delete your account whenever you wish."""

TELEHEALTH_FR = """Sur Havre, la thérapie se fait à distance. Avant de commencer, voici ce que cela veut dire, pour que vous l’acceptiez en connaissant ses limites.

## Ce que vous acceptez
Recevoir un accompagnement psychologique à distance : des messages avec votre thérapeute entre les séances, et des séances en vidéo, par téléphone ou par chat, dans votre navigateur.

## Ses limites
- Ce n’est pas pour les urgences. Votre thérapeute répond aux messages pendant ses heures de travail, pas immédiatement. Si vous êtes en danger, appelez le 112 (partout dans l’Union européenne) ou, en France, le 3114.
- La technique peut faillir. Si une séance est coupée, elle se reconnecte d’elle-même quand elle le peut ; sinon votre thérapeute vous proposera un autre moment.
- Certaines situations demandent des soins en personne. Votre thérapeute peut vous conseiller de consulter quelqu’un près de chez vous, et vous dira pourquoi.
- Votre thérapeute est autorisé à exercer dans le pays où vous vivez (ou, quand son autorisation le permet, dans le pays d’où vous venez).

## La confidentialité pendant les séances
- Nous n’enregistrons jamais les séances. Merci de ne pas les enregistrer non plus sans l’accord de l’autre personne.
- Choisissez un endroit où l’on ne peut pas vous entendre, et utilisez des écouteurs si vous le pouvez.
- Sur un appareil que d’autres utilisent, cochez « Cet appareil est partagé » en vous connectant.

## Le secret et ses limites
Votre thérapeute est tenu au secret professionnel, comme en cabinet. Les mêmes exceptions s’appliquent qu’en cabinet : quand la loi l’exige, par exemple pour protéger une personne en danger grave et imminent.

## Vous pouvez arrêter à tout moment
Vous pouvez arrêter de réserver des séances, changer de thérapeute ou supprimer votre compte quand vous le souhaitez."""


DOCUMENTS = [
    ("privacy", "Privacy policy", "Politique de confidentialité", PRIVACY_EN, PRIVACY_FR),
    ("terms", "Terms of use", "Conditions d’utilisation", TERMS_EN, TERMS_FR),
    (
        "telehealth",
        "Telehealth consent",
        "Consentement aux soins à distance",
        TELEHEALTH_EN,
        TELEHEALTH_FR,
    ),
]


def add(apps, schema_editor):
    document = apps.get_model("accounts", "LegalDocument")
    now = timezone.now()
    for kind, title_en, title_fr, body_en, body_fr in DOCUMENTS:
        if not document.objects.filter(kind=kind).exists():
            document.objects.create(
                kind=kind,
                version=1,
                title_en=title_en,
                title_fr=title_fr,
                body_en=body_en,
                body_fr=body_fr,
                published_at=now,
                created_at=now,
            )


def remove(apps, schema_editor):
    document = apps.get_model("accounts", "LegalDocument")
    document.objects.filter(version=1, acceptances__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_legal_documents_and_sessions")]
    operations = [migrations.RunPython(add, remove)]
