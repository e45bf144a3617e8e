"""Every hub domain has one shape, uses other domains only through their public names, and the
signing and media libraries stand alone.

Shape files: ``model.py`` (rules and states, no I/O), ``service.py`` (use cases, explicit
arguments, never a request), ``routes.py`` (API), ``pages.py`` (HTML), ``tables.py`` (ORM) and
``schemas.py`` (what the API reads and writes). A domain's public surface is the ``__all__`` of its
modules other than ``routes``, ``pages`` and ``tables``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "hub"
NOT_DOMAINS = {"migrations", "templates"}
SHAPE = {"model.py", "service.py", "routes.py", "pages.py", "tables.py", "schemas.py"}
# names that would be a second word for a shape file
SHAPE_LIKE = {
    "models.py",
    "views.py",
    "serializers.py",
    "handlers.py",
    "orm.py",
    "controllers.py",
    "repository.py",
    "rules.py",
    "api.py",
}
# the shape files of each domain; a new domain, a new shape file or a lost one fails. Domains
# without rules of their own have no model.py; auditlog is plumbing (a runtime and its tables).
EXPECTED: dict[str, set[str]] = {
    "accounts": {"service.py", "tables.py"},
    "applications": {"model.py", "service.py", "pages.py", "routes.py", "schemas.py", "tables.py"},
    "auditlog": {"tables.py"},
    "calendars": {"model.py", "service.py", "tables.py"},
    "catalogue": {"model.py", "service.py", "routes.py", "tables.py"},
    "complaints": {"model.py", "service.py", "pages.py", "routes.py", "schemas.py", "tables.py"},
    "consultation": {"model.py", "service.py", "pages.py", "routes.py", "schemas.py", "tables.py"},
    "govnet": {"model.py", "service.py", "tables.py"},
    "mediation": {"model.py", "service.py", "pages.py", "routes.py", "schemas.py", "tables.py"},
    "nodelink": {"service.py", "routes.py"},
    "notarization": {"model.py", "service.py", "pages.py", "routes.py", "tables.py"},
    "schedules": {"model.py", "service.py", "pages.py", "routes.py", "schemas.py", "tables.py"},
    "sessions": {"service.py", "routes.py", "tables.py"},
    "signatures": {"model.py", "service.py", "routes.py", "tables.py"},
    "statistics": {"model.py", "service.py", "routes.py"},
}
PRIVATE_MODULES = {"routes", "pages", "tables"}
# Reading another domain's tables is still done in these places; each entry must still occur,
# so the list only shrinks. Anything else reaching into another domain's tables fails.
TABLES_READ: set[tuple[str, str]] = {
    ("hub/complaints/service.py", "hub.accounts.tables"),
    ("hub/consultation/pages.py", "hub.accounts.tables"),
    ("hub/consultation/routes.py", "hub.schedules.tables"),
    ("hub/consultation/schemas.py", "hub.schedules.tables"),
    ("hub/consultation/service.py", "hub.accounts.tables"),
    ("hub/consultation/service.py", "hub.schedules.tables"),
    ("hub/mediation/package.py", "hub.signatures.tables"),
    ("hub/mediation/party_pages.py", "hub.signatures.tables"),  # has the party an authenticator
    ("hub/mediation/service.py", "hub.accounts.tables"),
    ("hub/notarization/archive.py", "hub.auditlog.tables"),
    ("hub/notarization/service.py", "hub.accounts.tables"),
    ("hub/notarization/service.py", "hub.applications.tables"),
    ("hub/notarization/service.py", "hub.sessions.tables"),
    ("hub/schedules/demo.py", "hub.accounts.tables"),
    ("hub/schedules/pages.py", "hub.accounts.tables"),
    ("hub/schedules/service.py", "hub.accounts.tables"),
    ("hub/sessions/service.py", "hub.accounts.tables"),  # the offices of a record's staff
    ("hub/signatures/routes.py", "hub.applications.tables"),
    ("hub/signatures/consent.py", "hub.auditlog.tables"),  # one-time codes used
    ("hub/signatures/service.py", "hub.applications.tables"),
    ("hub/statistics/service.py", "hub.applications.tables"),
    ("hub/statistics/service.py", "hub.catalogue.tables"),
    ("hub/statistics/service.py", "hub.complaints.tables"),
    ("hub/statistics/service.py", "hub.consultation.tables"),
    ("hub/statistics/service.py", "hub.mediation.tables"),
    ("hub/statistics/service.py", "hub.notarization.tables"),
    ("hub/statistics/service.py", "hub.schedules.tables"),
}
LIBRARIES = ("signing", "media")
OURS = {"common", "hub", "overseas_node", "govnet_sim"}


def domains() -> list[str]:
    return sorted(
        p.name
        for p in HUB.iterdir()
        if p.is_dir() and p.name not in NOT_DOMAINS and (p / "__init__.py").exists()
    )


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _public(module: Path) -> set[str] | None:
    for node in _tree(module).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                assert node.value is not None
                return {str(v) for v in ast.literal_eval(node.value)}
    return None


def _module_file(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    if base.with_suffix(".py").exists():
        return base.with_suffix(".py")
    if (base / "__init__.py").exists():
        return base / "__init__.py"
    return None


def shape_problems() -> list[str]:
    problems = []
    found = domains()
    for name in sorted(set(EXPECTED) - set(found)):
        problems.append(f"hub/{name}: expected domain folder is missing")
    for name in found:
        files = {p.name for p in (HUB / name).glob("*.py")}
        if name not in EXPECTED:
            problems.append(f"hub/{name}: a new domain; declare its shape in EXPECTED")
            continue
        have = files & SHAPE
        for f in sorted(EXPECTED[name] - have):
            problems.append(f"hub/{name}: missing {f}")
        for f in sorted(have - EXPECTED[name]):
            problems.append(f"hub/{name}: extra {f} (not in its declared shape)")
        for f in sorted(files & SHAPE_LIKE):
            problems.append(f"hub/{name}: {f} is a second name for a shape file")
    return problems


def _imports(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module, name) for every import; name None for ``import module``."""
    out: list[tuple[int, str, str | None]] = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, None) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.extend((node.lineno, node.module, a.name) for a in node.names)
    return out


def boundary_problems() -> tuple[list[str], set[tuple[str, str]]]:
    problems: list[str] = []
    tables_used: set[tuple[str, str]] = set()
    known = set(domains())
    for name in known:
        for path in sorted((HUB / name).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for line, module, imported in _imports(path):
                parts = module.split(".")
                if parts[0] != "hub" or len(parts) < 2 or parts[1] not in known:
                    continue
                if parts[1] == name:
                    continue
                # `from hub.x import service` names a module; otherwise the module is `module`
                target = module
                if imported is not None and _module_file(f"{module}.{imported}") is not None:
                    target, imported = f"{module}.{imported}", None
                leaf = target.split(".")[-1] if len(target.split(".")) > 2 else "__init__"
                at = f"{where}:{line}: {target}" + (f".{imported}" if imported else "")
                if leaf == "tables":
                    tables_used.add((where, target))
                    if (where, target) not in TABLES_READ:
                        problems.append(f"{at}: another domain's tables")
                    continue
                if leaf in PRIVATE_MODULES:
                    problems.append(f"{at}: another domain's {leaf}")
                    continue
                if leaf.startswith("_") and leaf != "__init__":
                    problems.append(f"{at}: another domain's private module")
                    continue
                if imported is None:
                    continue
                if imported.startswith("_"):
                    problems.append(f"{at}: a private name")
                    continue
                file = _module_file(target)
                public = _public(file) if file else None
                if public is None:
                    problems.append(f"{at}: {target} declares no __all__")
                elif imported not in public:
                    problems.append(f"{at}: not in {target}.__all__")
    return problems, tables_used


def cycle_problems() -> list[str]:
    """Two domains that import each other (anything of the other, tables included): one of
    them must learn of the other through a hook it declares, wired at start-up."""
    uses: dict[tuple[str, str], str] = {}
    known = set(domains())
    for name in sorted(known):
        for path in sorted((HUB / name).rglob("*.py")):
            for line, module, _ in _imports(path):
                parts = module.split(".")
                if parts[0] == "hub" and len(parts) > 1 and parts[1] in known - {name}:
                    where = f"{path.relative_to(ROOT).as_posix()}:{line}"
                    uses.setdefault((name, parts[1]), f"{where}: {module}")
    return [
        f"hub/{a} and hub/{b} import each other ({uses[a, b]}; {uses[b, a]})"
        for a, b in sorted(uses)
        if a < b and (b, a) in uses
    ]


def library_problems() -> list[str]:
    problems = []
    for lib in LIBRARIES:
        for path in sorted((ROOT / lib).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for line, module, _ in _imports(path):
                if module.split(".")[0] in OURS:
                    problems.append(f"{where}:{line}: imports {module}")
    return problems


def service_problems() -> list[str]:
    """Rules do no I/O; services and rules never take a web request."""
    problems = []
    for name in domains():
        for file in ("model.py", "service.py"):
            path = HUB / name / file
            if not path.exists():
                continue
            where = path.relative_to(ROOT).as_posix()
            tree = _tree(path)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "Request"
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "web"
                ):
                    problems.append(f"{where}:{node.lineno}: takes a web.Request")
            if file == "model.py":
                for line, module, _ in _imports(path):
                    if module.split(".")[0] in {"sqlalchemy", "aiohttp", "asyncio", "httpx"}:
                        problems.append(f"{where}:{line}: rules import {module} (I/O)")
    return problems


def test_every_domain_has_the_one_shape() -> None:
    assert shape_problems() == []


def test_domains_use_each_other_only_through_public_names() -> None:
    problems, used = boundary_problems()
    assert problems == []
    assert TABLES_READ - used == set(), "no longer needed: remove from TABLES_READ"


def test_no_two_domains_import_each_other() -> None:
    assert cycle_problems() == []


def test_signing_and_media_import_nothing_of_ours() -> None:
    assert library_problems() == []


def test_rules_do_no_io_and_services_take_no_request() -> None:
    assert service_problems() == []


@pytest.mark.parametrize(
    ("file", "source", "expected"),
    [
        ("hub/x/views.py", "", "second name"),
        ("signing/y.py", "from common.errors import N_\n", "imports common.errors"),
        ("media/y.py", "import hub.db\n", "imports hub.db"),
    ],
)
def test_the_walk_notices_a_bad_file(
    file: str, source: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks above are not vacuous: a planted bad file is reported."""
    import tests.unit.test_shape as walk

    for lib in LIBRARIES:
        (tmp_path / lib).mkdir()
    (tmp_path / "hub" / "x").mkdir(parents=True)
    (tmp_path / "hub" / "x" / "__init__.py").write_text("")
    (tmp_path / file).write_text(source)
    monkeypatch.setattr(walk, "ROOT", tmp_path)
    monkeypatch.setattr(walk, "HUB", tmp_path / "hub")
    monkeypatch.setattr(walk, "EXPECTED", {"x": set()})
    found = walk.shape_problems() + walk.library_problems()
    assert any(expected in p for p in found), found


def test_the_walk_notices_a_reach_into_another_domain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.unit.test_shape as walk

    for domain, files in {
        "a": {"service.py": "from hub.b.routes import thing\nfrom hub.b.service import _hidden\n"},
        "b": {"routes.py": "thing = 1\n", "service.py": '__all__ = ["open"]\n_hidden = 1\n'},
    }.items():
        (tmp_path / "hub" / domain).mkdir(parents=True)
        (tmp_path / "hub" / domain / "__init__.py").write_text("")
        for f, text in files.items():
            (tmp_path / "hub" / domain / f).write_text(text)
    monkeypatch.setattr(walk, "ROOT", tmp_path)
    monkeypatch.setattr(walk, "HUB", tmp_path / "hub")
    problems, _ = walk.boundary_problems()
    assert any("another domain's routes" in p for p in problems), problems
    assert any("a private name" in p for p in problems), problems
    assert walk.cycle_problems() == []  # a uses b, b uses nothing of a


def test_the_walk_notices_two_domains_importing_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.unit.test_shape as walk

    for domain, text in {
        "a": "from hub.b.service import thing\n",
        "b": "def late():\n    from hub.a.tables import rows\n",  # even a deferred import
        "c": "from hub.a.service import thing\n",  # one way only: no cycle
    }.items():
        (tmp_path / "hub" / domain).mkdir(parents=True)
        (tmp_path / "hub" / domain / "__init__.py").write_text("")
        (tmp_path / "hub" / domain / "service.py").write_text(text)
    monkeypatch.setattr(walk, "ROOT", tmp_path)
    monkeypatch.setattr(walk, "HUB", tmp_path / "hub")
    problems = walk.cycle_problems()
    assert len(problems) == 1 and "hub/a and hub/b import each other" in problems[0], problems
