"""Schemathesis against the OpenAPI schema of ``/api`` and ``/v1``: no server error, and no
data for a caller without a token.

The store holds real data (one police.uk sample month for West Yorkshire, its areas and
approximate boundaries), a small joined-up world of people and records, and an investigator
with a bearer token. It is built once for the module (the ingest and the boundaries are the
slow part) on SQLite (and on PostgreSQL when WATCHHOUSE_TEST_DATABASE_URL is set), and the app is called in-process through its ASGI interface.
"""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from watchhouse import areas, sample
from watchhouse.ingest.police_uk import ingest_paths
from watchhouse.store import get_engine, reset_engines, upgrade
from watchhouse.users import add_user, issue_token
from watchhouse.web.app import create_app

from tests.conftest import BACKENDS, POSTGRES_URL, _postgres_schema_url
from tests.people.conftest import build_world

PUBLIC_AND_SYSTEM_API = r"^/(api|v1)/"
# Enough examples per operation to reach the interesting branches (valid values from the
# documented enums and ranges, and schema-violating ones), bounded so the whole module stays
# well under three minutes on a busy two-core machine.
POSITIVE_EXAMPLES = 30
NEGATIVE_EXAMPLES = 15


@pytest.fixture(scope="module", params=BACKENDS)
def store_url(request, tmp_path_factory):
    """A fresh store for the module: SQLite, and PostgreSQL in a private schema when configured
    (some inputs, such as a NUL character, only fail there)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'watchhouse.db'}"
        return
    schema = f"wh_fuzz_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        reset_engines()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def served(store_url):
    """(app, bearer token, schema) over a store with real crimes, areas, people and one user."""
    patch = pytest.MonkeyPatch()
    patch.setenv("WATCHHOUSE_RATE_LIMIT", "off")
    url = store_url
    engine = get_engine(url)
    upgrade(engine)
    ingest_paths(engine, [sample.street_files()[2]])
    areas.load_lookup(engine, forces={"west-yorkshire"})
    areas.derive_approximate_boundaries(engine, "west-yorkshire")
    build_world(engine)
    with engine.begin() as connection:
        user = add_user(connection, "fuzz-investigator", role="investigator", clearance="SECRET", password=None)
    token, _ = issue_token(user)
    app = create_app(url)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=PUBLIC_AND_SYSTEM_API)
    yield app, token, schema
    patch.undo()
    reset_engines()


def _operations(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    # The crawl must cover both APIs; a schema that lost its operations would pass vacuously.
    assert any(" /api/" in label for label in labels) and any(" /v1/" in label for label in labels), labels
    return operations


def _fuzz(operation, headers, mode, examples) -> list[str]:
    """Run ``examples`` generated cases of ``operation``; the failures, one line each."""
    failures: list[str] = []

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        checks = [not_a_server_error]
        if mode is schemathesis.GenerationMode.POSITIVE:
            checks.append(response_schema_conformance)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as failure:
            first_line = str(failure).strip().splitlines()[0]
            failures.append(f"{operation.label} [{mode.value}] -> {response.status_code}: {first_line}\n"
                            f"    {case.as_curl_command(headers=headers)}")

    try:
        run()
    except Unsatisfiable:
        # Nothing to negate: an operation whose parameters accept any string has no invalid input.
        if mode is schemathesis.GenerationMode.POSITIVE:
            raise
    return failures


def test_no_operation_under_api_or_v1_gives_a_server_error(served):
    app, token, schema = served
    authorised = {"Authorization": f"Bearer {token}", "X-Watchhouse-Purpose": "schemathesis: OP-FUZZ"}
    failures = []
    for operation in _operations(schema):
        headers = authorised if operation.path.startswith("/v1/") else {}
        failures += _fuzz(operation, headers, schemathesis.GenerationMode.POSITIVE, POSITIVE_EXAMPLES)
        failures += _fuzz(operation, headers, schemathesis.GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)
    # One line per distinct failure is enough to find its cause.
    distinct = sorted(set(failures))
    assert not distinct, f"{len(distinct)} failing cases:\n" + "\n".join(distinct[:40])


# Words that may appear in a 401 body: the error detail only.
_ERROR_ONLY = {"detail"}


def test_every_v1_operation_refuses_a_caller_without_a_token(served):
    app, token, schema = served
    v1 = [operation for operation in _operations(schema) if operation.path.startswith("/v1/")]
    protected = [operation for operation in v1 if operation.path != "/v1/auth/token"]
    assert len(protected) >= 3, [operation.label for operation in protected]
    seen = []
    for operation in protected:

        @settings(max_examples=10, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            for headers in ({"X-Watchhouse-Purpose": "no token"},
                            {"Authorization": "Bearer not-a-token", "X-Watchhouse-Purpose": "forged"},
                            {"Authorization": f"Bearer {token}x", "X-Watchhouse-Purpose": "tampered"}):
                case.headers = {key: value for key, value in (case.headers or {}).items()
                                if key.lower() != "authorization"}
                response = case.call(headers=headers)
                assert response.status_code == 401, (operation.label, headers, response.status_code, response.text)
                body = response.json()
                assert set(body) == _ERROR_ONLY and isinstance(body["detail"], str), body
                assert response.headers.get("www-authenticate", [""])[0].startswith("Bearer")
                # Nothing from the store: no names, references or ids of what was asked for.
                assert not re.search(r"Smith|Jones|Covert|OP-BADGER|13/123/18", response.text)
            seen.append(operation.label)

        run()
    assert {label.split(" ", 1)[1] for label in seen} >= {"/v1/people", "/v1/people/{person_id}", "/v1/me"}


def test_token_endpoint_answers_bad_credentials_with_only_a_refusal(served):
    """Sign-in is the one /v1 operation open without a token; to bad credentials it says only no."""
    app, _, schema = served
    operation = schema["/v1/auth/token"]["POST"]
    case = operation.Case(body={"username": "olive", "password": "wrong password"},
                          media_type="application/x-www-form-urlencoded")
    response = case.call()
    # 429 when the fuzzing above has used up this address's sign-in attempts: still a refusal.
    assert response.status_code in (401, 429)
    assert set(response.json()) == _ERROR_ONLY
