from django.urls import include, path

from accounts import views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="account_login"),
    # Ahead of allauth's own sign-up page, which this replaces with a choice of two paths.
    path("accounts/signup/", views.signup_choice, name="signup_choice"),
    path("accounts/signup/patient/", views.PatientSignupView.as_view(), name="signup_patient"),
    path(
        "accounts/signup/therapist/",
        views.TherapistSignupView.as_view(),
        name="signup_therapist",
    ),
    path("accounts/", include("allauth.urls")),
    path("profile/", views.profile, name="profile"),
    path("i18n/language/", views.language_set, name="language_set"),
    path("practice/application/", views.therapist_application, name="therapist_application"),
    path(
        "practice/application/submit/",
        views.therapist_application_submit,
        name="therapist_application_submit",
    ),
    path(
        "practice/application/documents/<int:pk>/",
        views.therapist_document,
        name="therapist_document",
    ),
    path(
        "practice/application/documents/<int:pk>/delete/",
        views.therapist_document_delete,
        name="therapist_document_delete",
    ),
    path(
        "practice/application/<slug:step>/",
        views.therapist_application_step,
        name="therapist_application_step",
    ),
    path("therapists/<int:pk>/", views.therapist_public, name="therapist_public"),
    path("therapists/<int:pk>/photo/", views.therapist_photo, name="therapist_photo"),
]
