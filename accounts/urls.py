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
]
