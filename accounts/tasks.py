from celery import shared_task

from accounts import services


@shared_task
def sweep_unverified_accounts() -> int:
    return services.unverified_accounts_delete()


@shared_task
def sweep_expired_licenses() -> int:
    return services.licenses_expired_suspend()


@shared_task
def sweep_idle_sessions() -> int:
    return services.idle_sessions_end()
