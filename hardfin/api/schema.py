"""The OpenAPI schema: drf-spectacular's, plus what every operation shares — its error
responses (the shapes ``hardfin.api.errors`` and the project's error handlers produce, all
``application/json``, with their headers), the ``Idempotency-Key`` header of writes, and the
character set of SKUs and codes in paths — added here once instead of on every view."""

from __future__ import annotations

import copy

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import SAFE_METHODS, AllowAny

from hardfin.identifiers import CODE_MAX_LENGTH, SKU_MAX_LENGTH, pattern

from .fields import QUANTITY_OUTPUT_PATTERN
from .idempotency import HEADER, MAX_LENGTH

STRING = {"type": "string"}
MESSAGES = {"type": "array", "items": STRING}

ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "Every error body has a human-readable `detail`.",
        "properties": {"detail": STRING},
        "required": ["detail"],
    },
    "Throttled": {
        "type": "object",
        "description": "Too many requests: wait `Retry-After` seconds.",
        "properties": {"code": {"type": "string", "enum": ["throttled"]}, "detail": STRING},
        "required": ["code", "detail"],
    },
    "Busy": {
        "type": "object",
        "description": "The database stayed locked through every retry, or cannot be reached (a lost "
        "connection, a restarting server): try again after `Retry-After` seconds. A write answered so "
        "recorded nothing — unless `detail` says the connection was lost while it was being committed; "
        "then retry it with the same `Idempotency-Key`, which never records it twice.",
        "properties": {"code": {"type": "string", "enum": ["busy"]}, "detail": STRING},
        "required": ["code", "detail"],
    },
    "IdempotencyKeyReused": {
        "type": "object",
        "description": "The `Idempotency-Key` was already used for a different request.",
        "properties": {"code": {"type": "string", "enum": ["idempotency_key_reused"]}, "detail": STRING},
        "required": ["code", "detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": "Invalid input: a list of messages per field name, errors that belong to no field "
        "under `non_field_errors`, and all of them in one `detail`. Errors of receipt and build lines "
        "come back under `lines` as one object per line, in order (`{}` for a line without errors), "
        "e.g. `{\"lines\": [{}, {\"quantity\": [\"...\"]}]}`. An invalid `Idempotency-Key` header is "
        "reported under `idempotency_key`.",
        "properties": {"detail": STRING},
        "required": ["detail"],
        "additionalProperties": {
            "type": "array",
            "items": {"oneOf": [STRING, {"type": "object", "additionalProperties": MESSAGES}]},
        },
    },
    "Conflict": {
        "type": "object",
        "description": "The request conflicts with the current state. `code` is one of "
        "`insufficient_stock` (nothing was recorded; the first shortage is repeated at the top level), "
        "`has_history` (deactivate instead of deleting), `idempotency_key_in_use` (a request with "
        "this key is still running).",
        "properties": {
            "code": STRING,
            "detail": STRING,
            "sku": STRING,
            "location": STRING,
            "requested": {"type": "string", "pattern": QUANTITY_OUTPUT_PATTERN},
            "available": {"type": "string", "pattern": QUANTITY_OUTPUT_PATTERN},
            "shortages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": STRING,
                        "location": STRING,
                        "requested": {"type": "string", "pattern": QUANTITY_OUTPUT_PATTERN},
                        "available": {"type": "string", "pattern": QUANTITY_OUTPUT_PATTERN},
                    },
                    "required": ["sku", "location", "requested", "available"],
                },
            },
        },
        "required": ["code", "detail"],
    },
}

RETRY_AFTER = {"description": "Seconds to wait before trying again.",
               "schema": {"type": "string", "pattern": "^[0-9]+$"}}
#: Headers of error responses, by status.
ERROR_HEADERS = {
    "401": {"WWW-Authenticate": {"description": "`Token`: how to authenticate.", "schema": STRING}},
    "429": {"Retry-After": RETRY_AFTER},
    "503": {"Retry-After": {**RETRY_AFTER, "required": True}},
}
#: SKUs and codes in paths: the character set of hardfin.identifiers, at most as long as a
#: stored one can be (anything else is a 404).
PATH_KEY_PATTERNS = {"sku": pattern(SKU_MAX_LENGTH), "code": pattern(CODE_MAX_LENGTH)}

IDEMPOTENCY_KEY = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    type={"type": "string", "minLength": 1, "maxLength": MAX_LENGTH,
          "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$"},
    description="Makes the write safe to retry: the same user sending the same key with the same body "
    "to the same path within 24 hours gets the first response again (header `Idempotent-Replayed: true`) "
    "and nothing new is recorded. The same key with another body or path is a 422.",
)


class HardfinAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._is_idempotent():
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["name"] in PATH_KEY_PATTERNS:
                parameter["schema"] = {"type": "string", "pattern": PATH_KEY_PATTERNS[parameter["name"]]}
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (component, description) in self._error_responses().items():
            if str(code) not in responses:
                ref = self._error_component(component)
                responses[str(code)] = self._get_response_for_code(
                    OpenApiResponse(ref, description=description), str(code), ["application/json"], direction
                )
        return dict(sorted(responses.items()))

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        return {**ERROR_HEADERS.get(str(status_code), {}), **headers}

    def _handler(self):
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _is_idempotent(self) -> bool:
        return getattr(self._handler(), "idempotent", False)

    def _error_responses(self) -> dict[int, tuple[str, str]]:
        errors = {}
        public = any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        if not public:
            errors[401] = ("Error", "No credentials, or invalid ones.")
            errors[403] = ("Error", "Signed in, but not allowed to do this.")
        if "{" in self.path:
            errors[404] = ("Error", "No such object.")
        if self.method in SAFE_METHODS and self.get_filter_backends():
            errors[400] = ("ValidationError", "A malformed filter value.")
        if self.method in SAFE_METHODS and self._is_list_view() and self._get_paginator():
            errors[404] = ("Error", "No such page.")
        if self.method not in SAFE_METHODS:
            errors[400] = ("ValidationError", "Invalid input; nothing was recorded.")
            errors[413] = ("Error", "The body is larger than the server accepts.")
            errors[415] = ("Error", "The body is not JSON.")
        if self.method not in SAFE_METHODS and not public:
            errors[409] = ("Conflict", "Conflicts with the current state; nothing was recorded.")
        if self._is_idempotent():
            errors[422] = ("IdempotencyKeyReused", "The Idempotency-Key was used for a different request.")
        if not self._answers_any_accept():
            errors[406] = ("Error", "The request's Accept header does not allow JSON.")
        errors[429] = ("Throttled", "Too many requests; see Retry-After.")
        errors[503] = ("Busy", "The database is busy or cannot be reached; try again after Retry-After.")
        return errors

    def _answers_any_accept(self) -> bool:
        """Views whose answer is a download (CSV) ignore ``Accept``; the others answer 406
        to a client that does not accept JSON."""
        from .views import FirstRendererNegotiation

        return isinstance(self.view.get_content_negotiator(), FirstRendererNegotiation)

    def _error_component(self, name: str):
        # A copy: drf-spectacular's post-processing moves enums out of the schemas it is given.
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name,
                                      schema=copy.deepcopy(ERROR_SCHEMAS[name]))
        self.registry.register_on_missing(component)
        return component.ref
