"""Webhooks: Standard Webhooks signing, a transactional outbox, retries, replay and a delivery log.

Importing the package registers the outbox hook with the lifecycle, so every transition writes its deliveries.
"""

from app.webhooks import outbox as _outbox  # noqa: F401  (registers the outbox hook)
