"""What the tests change in the settings, shared by the test process and the server process the
browser tests start."""


def apply_test_settings(settings) -> None:
    # Fast password hashing and plain static files; everything else is as deployed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
