"""The admin of accounts: users (``users``), therapist vetting (``vetting``) and the legal
documents with their acceptances (``legal``); importing the package registers them."""

from accounts.admin import legal, users, vetting

__all__ = ["legal", "users", "vetting"]
