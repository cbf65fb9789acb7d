"""The routes of accounts: logging in and signing up (ahead of allauth's own), accepting new
versions of the legal documents and staying logged in, the profile, the language switch, a
therapist's application and its documents, public therapist profiles and photos, where a person
is signed in, and the public legal documents."""

from django.urls import include, path

from accounts import views
from accounts.models import LegalDocument

# The public legal documents, each at its own address (linked below every page).
LEGAL_PAGES = [
    ("privacy-policy", LegalDocument.Kind.PRIVACY),
    ("terms", LegalDocument.Kind.TERMS),
    ("telehealth-consent", LegalDocument.Kind.TELEHEALTH),
]

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
    # Ahead of allauth's own: a wrong code answers 422, too many 429.
    path(
        "accounts/2fa/authenticate/",
        views.TwoFactorAuthenticateView.as_view(),
        name="mfa_authenticate",
    ),
    path(
        "accounts/2fa/reauthenticate/",
        views.TwoFactorReauthenticateView.as_view(),
        name="mfa_reauthenticate",
    ),
    # Ahead of allauth's own: new versions of the legal documents, then the idle warning's.
    path("accounts/consent/", views.legal_consent, name="legal_consent"),
    path("accounts/session/", views.session_status, name="session_status"),
    path("accounts/session/stay/", views.session_stay, name="session_stay"),
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
        "practice/application/documents/<key:pk>/",
        views.therapist_document,
        name="therapist_document",
    ),
    path(
        "practice/application/documents/<key:pk>/delete/",
        views.therapist_document_delete,
        name="therapist_document_delete",
    ),
    path(
        "practice/application/<slug:step>/",
        views.therapist_application_step,
        name="therapist_application_step",
    ),
    path("therapists/<key:pk>/", views.therapist_public, name="therapist_public"),
    path("therapists/<key:pk>/photo/", views.therapist_photo, name="therapist_photo"),
    # Where this person is logged in (a section of their Privacy page links here).
    path("privacy/sessions/", views.login_sessions, name="login_sessions"),
    path(
        "privacy/sessions/others/end/",
        views.login_sessions_end_others,
        name="login_sessions_end_others",
    ),
    path("privacy/sessions/<key:pk>/end/", views.login_session_end, name="login_session_end"),
    *[
        route
        for prefix, kind in LEGAL_PAGES
        for route in (
            path(f"{prefix}/", views.legal_document, {"kind": kind}, name=f"legal_{kind}"),
            path(
                f"{prefix}/versions/<key:version>/",
                views.legal_document,
                {"kind": kind},
                name=f"legal_{kind}_version",
            ),
        )
    ],
]
