"""The OpenAPI schema: drf-spectacular's, plus what every operation shares — its error
responses (the shapes ``hardfin.api.errors`` produces) and the ``Idempotency-Key`` header
of writes — added here once instead of on every view."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import SAFE_METHODS, AllowAny

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
    "CodedError": {
        "type": "object",
        "description": "An error with a machine-readable `code`: `throttled`, `busy`, "
        "`idempotency_key_reused`.",
        "properties": {"code": STRING, "detail": STRING},
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

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (component, description) in self._error_responses().items():
            if str(code) not in responses:
                ref = self._error_component(component)
                responses[str(code)] = self._get_response_for_code(
                    OpenApiResponse(ref, description=description), str(code), ["application/json"], direction
                )
        return dict(sorted(responses.items()))

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
        if self._is_idempotent():
            errors[409] = ("Conflict", "Conflicts with the current state; nothing was recorded.")
            errors[422] = ("CodedError", "The Idempotency-Key was used for a different request.")
            errors[503] = ("CodedError", "The database stayed busy; try again (code `busy`).")
        errors[429] = ("CodedError", "Too many requests; see Retry-After.")
        return errors

    def _error_component(self, name: str):
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name,
                                      schema=ERROR_SCHEMAS[name])
        self.registry.register_on_missing(component)
        return component.ref
