import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teletherapy.settings")

app = Celery("teletherapy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender, **kwargs):
    # The filesystem broker of the embedded default fails on folders that do not exist.
    if sender.conf.broker_url == "filesystem://":
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            Path(sender.conf.broker_transport_options[key]).mkdir(parents=True, exist_ok=True)
