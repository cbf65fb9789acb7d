from django.urls import path

from matching import views, views_offers

urlpatterns = [
    path("start/", views.intake_start, name="intake_start"),
    path("start/safety/", views.intake_safety, name="intake_safety"),
    path("start/done/", views.intake_done, name="intake_done"),
    path("start/send/", views.intake_submit, name="intake_submit"),
    path("start/<slug:step>/", views.intake_step, name="intake_step"),
    path("my-therapist/", views.my_therapist, name="my_therapist"),
    path("my-therapist/change/", views.match_switch, name="match_switch"),
    path("practice/patients/<int:patient_id>/", views.therapist_patient, name="therapist_patient"),
    path("practice/offers/", views_offers.offer_list, name="therapist_offers"),
    path("practice/offers/<int:pk>/", views_offers.offer_detail, name="offer_detail"),
    path("practice/offers/<int:pk>/accept/", views_offers.offer_accept, name="offer_accept"),
    path("practice/offers/<int:pk>/decline/", views_offers.offer_decline, name="offer_decline"),
]
