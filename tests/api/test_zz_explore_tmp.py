from __future__ import annotations
import os, time as _t
from schemathesis import GenerationMode
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from models.enums import Role
from tests.factories import auth_header, make_town, make_user

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
ROLES = {"admin": (Role.admin, "district"), "village_staff": (Role.village_staff, "village_a"),
         "grid_member": (Role.grid_member, "grid_a1"), "town_cadre": (Role.town_cadre, "town"), "anonymous": None}

@pytest.mark.parametrize("role", list(ROLES))
def test_explore(app, session, role):
    town = make_town(session)
    spec = ROLES[role]
    user = make_user(session, spec[0], getattr(town, spec[1])) if spec else None
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures = []
    t0 = _t.monotonic()
    n = 0
    for result in schema.get_all_operations():
        op = result.ok()
        n += 1
        @settings(max_examples=int(os.environ.get("EX","5")), derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=op.as_strategy(generation_mode=GenerationMode(os.environ.get("MODE","positive"))))
        def run(case):
            case.call_and_validate(headers=(auth_header(user) if user else {}), checks=CHECKS)
        try:
            run()
        except BaseException as exc:
            failures.append(f"{op.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    print(f"\n{role}: {n} ops in {_t.monotonic()-t0:.1f}s")
    for f in failures:
        print("----", f)
