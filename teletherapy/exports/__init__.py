"""A person's copy of their own data (GDPR art. 15 and 20): asked for on the Privacy page,
built by a Celery task from every app's ``person_export`` selector, kept encrypted for
EXPORT_KEEP_DAYS, downloaded by its owner only. The roof's own app: it reads every app."""
