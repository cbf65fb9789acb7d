"""Staff work with least privilege: *Vetting*, *Matching support* and *Clinical safety* each see
their own part of the admin and nothing else (403), free text only for the clinical group;
opening a patient's record in the admin is logged; superusers still see everything."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from audit.models import STAFF_GROUPS, AccessEntry
from tests.factories.accounts import make_therapist
from tests.factories.audit import entries_of, staff_groups, staff_in
from tests.factories.matching import (
    CONCERNS_TEXT,
    IntakeFactory,
    MatchFactory,
    MatchRequestFactory,
    OfferFactory,
    SafetyFlagFactory,
)
from tests.helpers import client_for

Kind = AccessEntry.Kind
Role = AccessEntry.Role
DECLINE_REASON = "I do not work with eating disorders."
END_REASON = "My therapist reminded me of my father."


def _change(model: str, pk: int) -> str:
    return reverse(f"admin:{model.replace('.', '_')}_change", args=[pk])


@pytest.fixture
def records(patient):
    """One of each record about the patient that staff may open in the admin."""
    intake = IntakeFactory.create(patient=patient)
    request = MatchRequestFactory.create(patient=patient, intake=intake)
    offer = OfferFactory.create(request=request, status="declined", decline_reason=DECLINE_REASON)
    return {
        "matching.safetyflag": SafetyFlagFactory.create(patient=patient, intake=intake),
        "matching.intake": intake,
        "matching.matchrequest": request,
        "matching.offer": offer,
        "matching.match": MatchFactory.create(
            patient=patient, status="ended", end_reason=END_REASON
        ),
    }


def test_the_groups_hold_exactly_their_permissions(db):
    staff_groups()
    granted = {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.filter(name__in=STAFF_GROUPS.values())
    }
    assert granted["Vetting"] == {
        "accounts.view_therapistprofile",
        "accounts.change_therapistprofile",
        "accounts.view_therapistdocument",
        "accounts.view_therapistlanguage",
        "accounts.view_vettingdecision",
    }
    assert "matching.view_intake" not in granted["Matching support"]
    assert "matching.view_safetyflag" not in granted["Matching support"]
    assert {"matching.view_safetyflag", "matching.view_intake"} <= granted["Clinical safety"]
    assert all(not name.startswith("audit.") for names in granted.values() for name in names)


# Which group may open which record (200), and which gets 403.
OPENS = {
    Role.VETTING: set(),
    Role.MATCHING_SUPPORT: {"matching.matchrequest", "matching.offer", "matching.match"},
    Role.CLINICAL_SAFETY: {"matching.safetyflag", "matching.intake"},
}


@pytest.mark.parametrize("role", list(OPENS))
@pytest.mark.parametrize(
    "model",
    [
        "matching.safetyflag",
        "matching.intake",
        "matching.matchrequest",
        "matching.offer",
        "matching.match",
    ],
)
def test_each_group_opens_its_records_only(records, patient, role, model):
    client = client_for(staff_in(role))
    response = client.get(_change(model, records[model].pk))
    if model in OPENS[role]:
        assert response.status_code == 200
        assert entries_of(patient)[-1].role == role
    else:
        assert response.status_code == 403
        assert entries_of(patient) == []  # a refusal reads nothing


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("matching.safetyflag", Kind.SAFETY_FLAG),
        ("matching.intake", Kind.INTAKE),
        ("matching.matchrequest", Kind.MATCH_REQUEST),
        ("matching.offer", Kind.OFFER),
        ("matching.match", Kind.MATCH),
    ],
)
def test_a_superuser_opens_everything_and_each_opening_is_logged(
    records, patient, staff_client, staff, model, kind
):
    record = records[model]
    assert staff_client.get(_change(model, record.pk)).status_code == 200
    [entry] = entries_of(patient)
    assert (entry.kind, entry.record_id) == (kind, record.pk)
    assert (entry.accessor_id, entry.role) == (staff.pk, Role.ADMINISTRATOR)


def test_the_waiting_list_is_a_match_request_read(patient, staff_client):
    request = MatchRequestFactory.create(patient=patient, waiting_since="2026-11-01T00:00:00Z")
    url = reverse("admin:matching_waitingpatient_change", args=[request.pk])
    assert staff_client.get(url).status_code == 200
    assert [(e.kind, e.record_id) for e in entries_of(patient)] == [
        (Kind.MATCH_REQUEST, request.pk)
    ]


def test_only_the_clinical_group_reads_free_text(records):
    clinical = client_for(staff_in(Role.CLINICAL_SAFETY))
    matching = client_for(staff_in(Role.MATCHING_SUPPORT))

    assert (
        CONCERNS_TEXT
        in clinical.get(_change("matching.intake", records["matching.intake"].pk)).text
    )
    for model, words in [
        ("matching.offer", DECLINE_REASON),
        ("matching.match", END_REASON),
        ("matching.matchrequest", DECLINE_REASON),  # its offers, inline
    ]:
        page = matching.get(_change(model, records[model].pk))
        assert page.status_code == 200
        assert words not in page.text, model
        assert (
            words
            in client_for(staff_in(Role.CLINICAL_SAFETY, is_superuser=True))
            .get(_change(model, records[model].pk))
            .text
        )


def test_the_admin_index_shows_each_group_its_own_part(db):
    index = reverse("admin:index")
    vetting = client_for(staff_in(Role.VETTING)).get(index).text
    clinical = client_for(staff_in(Role.CLINICAL_SAFETY)).get(index).text
    assert "Therapist" in vetting
    assert "Safety flags" not in vetting
    assert "Safety flags" in clinical
    assert "Match requests" not in clinical


def test_credential_documents_are_for_the_vetting_group(db):
    document = make_therapist().documents.first()
    assert document is not None
    url = reverse("therapist_document", args=[document.pk])
    assert client_for(staff_in(Role.VETTING)).get(url).status_code == 200
    assert client_for(staff_in(Role.CLINICAL_SAFETY)).get(url).status_code == 404


def test_the_vetting_group_decides_on_applications(db):
    profile = make_therapist()
    page = client_for(staff_in(Role.VETTING)).get(
        reverse("admin:accounts_therapistprofile_change", args=[profile.pk])
    )
    assert page.status_code == 200
    assert "Approve" in page.text
