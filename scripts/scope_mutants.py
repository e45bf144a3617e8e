"""Shows that the scope matrix guards every scope check: each check removed in turn, the matrix
run once on SQLite, and how many of its answers then differ from the ones written down.

Run by hand, never in the suite (a dozen runs of the matrix)::

    .venv/bin/python scripts/scope_mutants.py            # every check, one after the other
    .venv/bin/python scripts/scope_mutants.py applications.visible_to
    QIAOLINK_SCOPE_JOBS=3 .venv/bin/python scripts/scope_mutants.py   # three runs at a time

The same file is the pytest plugin that removes one check (``QIAOLINK_SCOPE_MUTANT``) and, while
it does, lets the matrix run to its end, counting the callers whose answer changed instead of
stopping at the first (``QIAOLINK_SCOPE_TALLY`` names the file the count goes to).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MATRIX = "tests/integration/test_scope_matrix.py"


def _noop(*_args: Any, **_kwargs: Any) -> None:
    return None


async def _async_noop(*_args: Any, **_kwargs: Any) -> None:
    return None


async def _case_unscoped(request: Any, session: Any, number: str) -> Any:
    from hub.mediation import service

    return await service.load(session, number)


async def _session_unscoped(db: Any, session_id: str, principal: Any, staff_of: Any) -> Any:
    from hub.sessions import service

    async with db.transaction() as tx:
        return await service._open_session(tx, session_id)


async def _join_unscoped(db: Any, session_id: str, principal: Any, staff_of: Any) -> Any:
    """:func:`hub.sessions.service.joinable` without its branch check for clerks and nodes."""
    from common.access import Role
    from hub.sessions import service

    if principal.role not in (Role.CLERK, Role.NODE):
        return await service.reachable(db, session_id, principal, staff_of)
    async with db.transaction() as tx:
        return await service._open_session(tx, session_id)


def _function(module: str, name: str, replacement: Any) -> Callable[[], None]:
    """Replace ``module.name`` everywhere it was imported (``from module import name`` too)."""

    def apply() -> None:
        original = getattr(importlib.import_module(module), name)
        for mod in list(sys.modules.values()):
            for key, value in list(vars(mod).items()) if mod is not None else []:
                if value is original:
                    setattr(mod, key, replacement)

    return apply


def _any_code(module: str) -> Callable[[], None]:
    """The module's query or access codes compare equal whatever was sent."""

    def apply() -> None:
        mod = importlib.import_module(module)
        mod.hmac = types.SimpleNamespace(compare_digest=lambda _a, _b: True)  # type: ignore[attr-defined]

    return apply


MUTANTS: dict[str, Callable[[], None]] = {
    "applications.visible_to": _function(
        "hub.applications.service", "visible_to", lambda *_a: True
    ),
    "applications.query_code": _any_code("hub.applications.service"),
    "notarization.assigned": _function("hub.notarization.service", "assigned", _noop),
    "notarization.same_branch": _function("hub.notarization.service", "same_branch", _noop),
    "mediation._visible": _function("hub.mediation.routes", "_visible", _case_unscoped),
    "mediation.require_mediator": _function("hub.mediation.service", "require_mediator", _noop),
    "mediation.access_code": _any_code("hub.mediation.service"),
    "consultation.require_consultant": _function(
        "hub.consultation.service", "require_consultant", _noop
    ),
    "consultation.query_code": _any_code("hub.consultation.service"),
    "complaints.require_handler": _function("hub.complaints.service", "require_handler", _noop),
    "sessions.reachable": _function("hub.sessions.service", "reachable", _session_unscoped),
    "sessions.require_assigned": _function("hub.sessions.service", "require_assigned", _async_noop),
    "sessions.joinable": _function("hub.sessions.service", "joinable", _join_unscoped),
}


# --- the pytest plugin ------------------------------------------------------------------------


def pytest_collection_finish(session: Any) -> None:
    name = os.environ.get("QIAOLINK_SCOPE_MUTANT", "")
    if name:
        MUTANTS[name]()
    tally = os.environ.get("QIAOLINK_SCOPE_TALLY")
    if not tally:
        return
    matrix = importlib.import_module("tests.integration.test_scope_matrix")
    found = matrix._mismatch

    def counting(seen: Any, wanted: Any) -> list[str]:
        wrong = list(found(seen, wanted))
        with open(tally, "a", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in wrong)
        return []  # carry on: every changed answer is counted, not only the first

    matrix._mismatch = counting


# --- the runner -------------------------------------------------------------------------------


def run(name: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("r", suffix=".txt", delete=False) as fh:
        tally = fh.name
    env = {**os.environ, "QIAOLINK_SCOPE_MUTANT": name, "QIAOLINK_SCOPE_TALLY": tally}
    cmd = [sys.executable, "-m", "pytest", MATRIX, "-k", "sqlite", "-q", "-p", "scope_mutants"]
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "scripts"), str(ROOT)])
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = Path(tally).read_text(encoding="utf-8").splitlines()
    Path(tally).unlink()
    stopped = [ln for ln in done.stdout.splitlines() if ln.startswith("E   ")][:1]
    caught = bool(lines) or done.returncode != 0
    return {
        "check": name or "(none removed)",
        "matrix": "failed" if caught else "passed",
        "changed_answers": len(lines),
        "examples": lines[:3] + stopped,
    }


def _show(r: dict[str, Any]) -> None:
    print(f"{r['check']:36} {r['matrix']:7} {r['changed_answers']:3} changed answers", flush=True)
    for example in r["examples"]:
        print(f"{'':40}{example[:110]}", flush=True)


def main(names: list[str]) -> int:
    """The matrix untouched, then with each check removed; ``QIAOLINK_SCOPE_JOBS`` runs that
    many at once (each run is its own process and database)."""
    jobs = int(os.environ.get("QIAOLINK_SCOPE_JOBS", "1"))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(_shown, ["", *(names or MUTANTS)]))
    survivors = [r["check"] for r in results[1:] if r["matrix"] == "passed"]
    print(json.dumps({"baseline": results[0]["matrix"], "survivors": survivors}))
    return 1 if survivors or results[0]["matrix"] != "passed" else 0


def _shown(name: str) -> dict[str, Any]:
    result = run(name)
    _show(result)  # as each run ends
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
