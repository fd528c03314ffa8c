"""The published OpenAPI document describes what the operations really take and answer.

Components are keyed by class name alone, so two schema classes of the same name silently
replace each other in /api/v1/openapi.json (the portal's rating body was documented as the
charge rate's): every name must be unique project-wide.
"""

import enum
import typing
from collections import defaultdict

from pydantic import BaseModel

from courtyard.api import api


def api_operations():
    """Every operation of the API, child routers included."""
    for router in api._get_bound_routers():
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                yield path, operation


def named_types(annotation, found):
    """Collect the schema classes and enums an annotation refers to, however deeply."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel | enum.Enum):
        if annotation in found:
            return
        found.add(annotation)
        if issubclass(annotation, BaseModel):
            for field in annotation.model_fields.values():
                named_types(field.annotation, found)
        return
    for argument in typing.get_args(annotation):
        named_types(argument, found)


def documented_types():
    found = set()
    for _path, operation in api_operations():
        models = list(operation.models) + [
            m for m in operation.response_models.values() if isinstance(m, type)
        ]
        for model in models:
            for field in model.model_fields.values():
                named_types(field.annotation, found)
    return found


def test_component_names_are_unique_project_wide():
    classes = defaultdict(set)
    for kind in documented_types():
        classes[kind.__name__].add(f"{kind.__module__}.{kind.__qualname__}")
    duplicates = {name: sorted(where) for name, where in classes.items() if len(where) > 1}
    assert duplicates == {}


def test_bodies_are_documented_with_their_own_schema(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    def body(path):
        ref = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        return components[ref["$ref"].rsplit("/", 1)[1]]

    assert set(body("/api/v1/portal/work-orders/{order_id}/rate")["properties"]) == {
        "stars",
        "comment",
    }
    assert "bills" in body("/api/v1/bills/publish")["required"]


def test_uploads_are_documented_as_multipart_with_their_files(client, db):
    """A client reads from the document which field carries the file and what else it takes."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    def form(path):
        content = paths[path]["post"]["requestBody"]["content"]
        assert list(content) == ["multipart/form-data"]
        schema = content["multipart/form-data"]["schema"]
        return {name: field.get("format") for name, field in schema["properties"].items()}

    files = form("/api/v1/notices/{pk}/attachments")
    assert files == {"upload": "binary", "purpose": None}
    assert form("/api/v1/notices/{pk}/images") == {"image": "binary"}
    assert form("/api/v1/work-orders/{pk}/follow-ups")["text"] is None
