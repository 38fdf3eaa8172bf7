"""Plumbing shared by the REST API of every app: parsing, errors, permissions, pagination,
idempotency and the OpenAPI schema. No business rules live here."""
