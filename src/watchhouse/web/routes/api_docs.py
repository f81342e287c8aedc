"""/docs: the open data API described from the OpenAPI schema, without third-party scripts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from watchhouse.web.templating import templates

router = APIRouter(include_in_schema=False)


def _operations(schema: dict, prefix: str) -> list[dict]:
    found = []
    for path, methods in sorted(schema.get("paths", {}).items()):
        if not path.startswith(prefix):
            continue
        for method, operation in methods.items():
            found.append({
                "method": method.upper(),
                "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": [
                    {"name": p["name"], "where": p["in"], "required": p.get("required", False),
                     "description": p.get("description", "")}
                    for p in operation.get("parameters", [])
                ],
                "responses": sorted(operation.get("responses", {})),
            })
    return found


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request):
    schema = request.app.openapi()
    return templates.TemplateResponse(request, "api_docs.html", {
        "public": _operations(schema, "/api/"), "staff": _operations(schema, "/v1/"),
    })
