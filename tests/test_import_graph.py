"""Imports flow one way, from the roof down to the ground (docs/architecture.md): an app imports
only from the floors below it, never from a floor above nor from a sibling on its own floor.
A lower app that must reach a higher one sends one documented signal the higher app listens
to. Every import counts: at the top of a module and inside functions alike."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FLOORS = {
    "core": 0,
    "advisories": 1,
    "trips": 2,
    "incidents": 3,
    "bookings": 3,
    "briefings": 4,
    "portal": 5,
}


def project_modules() -> list[Path]:
    return sorted(
        path
        for app in FLOORS
        if (ROOT / app).is_dir()
        for path in (ROOT / app).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def imported_apps(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, app) of every import of a project app in the module, at any depth."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.extend((node.lineno, name.split(".")[0]) for name in names)
    return [(line, app) for line, app in found if app in FLOORS]


def wrong_way_imports(path: Path) -> list[str]:
    app = path.relative_to(ROOT).parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for line, imported in imported_apps(tree):
        if imported == app:
            continue
        if FLOORS[imported] > FLOORS[app]:
            why = "a higher floor"
        elif FLOORS[imported] == FLOORS[app]:
            why = "a sibling on the same floor"
        else:
            continue
        problems.append(f"{path.relative_to(ROOT)}:{line} imports {imported} ({why})")
    return problems


def test_no_module_imports_a_higher_floor_or_a_sibling():
    problems = [problem for path in project_modules() for problem in wrong_way_imports(path)]
    assert problems == [], "\n".join(problems)


def test_the_graph_walk_finds_an_upward_import_inside_a_function(tmp_path, monkeypatch):
    app = tmp_path / "core"
    app.mkdir()
    module = app / "mail.py"
    module.write_text("import os\n\n\ndef send():\n    from trips.models import Trip\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert wrong_way_imports(module) == ["core/mail.py:5 imports trips (a higher floor)"]


@pytest.mark.parametrize(
    ("app", "source", "expected"),
    [
        ("incidents", "import bookings.models\n", "(a sibling on the same floor)"),
        ("advisories", "from briefings import tasks\n", "(a higher floor)"),
    ],
)
def test_siblings_and_upper_floors_are_both_refused(tmp_path, monkeypatch, app, source, expected):
    (tmp_path / app).mkdir()
    module = tmp_path / app / "thing.py"
    module.write_text(source)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    [problem] = wrong_way_imports(module)
    assert problem.endswith(expected)


def test_the_roof_may_import_every_floor(tmp_path, monkeypatch):
    (tmp_path / "portal").mkdir()
    module = tmp_path / "portal" / "views.py"
    module.write_text("".join(f"import {app}\n" for app in FLOORS))
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert wrong_way_imports(module) == []
