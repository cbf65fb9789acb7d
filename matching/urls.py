from django.urls import path, register_converter

from matching import views, views_checkin, views_offers
from matching.services import INTAKE_STEPS


class IntakeStepConverter:
    """Steps appear in URLs as their number ("/start/3/"), never their name: a browser's
    history must not tell anyone that a depression questionnaire was filled in."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        if not value.isdigit() or not 1 <= int(value) <= len(INTAKE_STEPS):
            raise ValueError(value)
        return INTAKE_STEPS[int(value) - 1]

    def to_url(self, step: str) -> str:
        return str(INTAKE_STEPS.index(step) + 1) if step in INTAKE_STEPS else step


register_converter(IntakeStepConverter, "intake_step")

urlpatterns = [
    path("start/", views.intake_start, name="intake_start"),
    path("start/help/", views.intake_safety, name="intake_safety"),
    path("start/done/", views.intake_done, name="intake_done"),
    path("start/send/", views.intake_submit, name="intake_submit"),
    path("start/<intake_step:step>/", views.intake_step, name="intake_step"),
    path("my-therapist/", views.my_therapist, name="my_therapist"),
    path("my-therapist/change/", views.match_switch, name="match_switch"),
    path("check-in/", views_checkin.checkin, name="checkin"),
    path("check-in/help/", views_checkin.checkin_help, name="checkin_help"),
    path("progress/", views_checkin.my_progress, name="my_progress"),
    path("practice/patients/<int:patient_id>/", views.therapist_patient, name="therapist_patient"),
    path("practice/offers/", views_offers.offer_list, name="therapist_offers"),
    path("practice/offers/<int:pk>/", views_offers.offer_detail, name="offer_detail"),
    path("practice/offers/<int:pk>/accept/", views_offers.offer_accept, name="offer_accept"),
    path("practice/offers/<int:pk>/decline/", views_offers.offer_decline, name="offer_decline"),
]
