from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from watchhouse.web.security import HardeningMiddleware


def _app():
    app = FastAPI()

    @app.get("/page")
    def page():
        return {"ok": True}

    @app.post("/v1/echo")
    async def echo(request: Request):
        return {"size": len(await request.body())}

    @app.get("/v1/boom")
    def boom():
        raise RuntimeError("secret internal detail: /srv/db password=hunter2")

    @app.get("/boom-page")
    def boom_page():
        raise RuntimeError("secret internal detail")

    app.add_middleware(HardeningMiddleware, max_request_bytes=1000)
    return app


def test_security_headers_on_every_response():
    client = TestClient(_app())
    for response in (client.get("/page"), client.get("/missing")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_oversized_bodies_are_refused():
    client = TestClient(_app())
    assert client.post("/v1/echo", content=b"x" * 999).json() == {"size": 999}
    refused = client.post("/v1/echo", content=b"x" * 5000)
    assert refused.status_code == 413
    assert refused.headers["x-frame-options"] == "DENY"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(10):
            yield b"y" * 500

    assert client.post("/v1/echo", content=chunks()).status_code == 413


def test_errors_reveal_nothing_internal():
    client = TestClient(_app(), raise_server_exceptions=False)
    response = client.get("/v1/boom")
    assert response.status_code == 500
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert "Reference" in response.json()["detail"]
    page = client.get("/boom-page")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "secret" not in page.text


def test_hashed_static_files_are_cached_for_good(tmp_path):
    from watchhouse.web.app import create_app

    client = TestClient(create_app(f"sqlite:///{tmp_path / 'w.db'}"))
    assert "immutable" in client.get("/static/css/people.css?v=abc").headers["cache-control"]
    assert client.get("/static/css/people.css").headers["cache-control"] == "no-cache"
    assert client.get("/favicon.ico").status_code == 204


def test_api_docs_page_lists_the_public_and_staff_operations(tmp_path):
    from watchhouse.web.app import create_app

    page = TestClient(create_app(f"sqlite:///{tmp_path / 'w.db'}")).get("/docs")
    assert page.status_code == 200
    assert "/api/crimes-street/{category}" in page.text and "/v1/people" in page.text
    assert "<script" not in page.text.split("</footer>")[0].split("<main")[1]
