"""The core sits below the chapters: no module of toolkit/ imports a chapter (or the dashboard above them);
and the chapters sit side by side: none imports another, they meet through toolkit.chapters.

Settings name the apps as strings (INSTALLED_APPS, dotted task paths): strings are not imports and are
not checked here."""

import ast
from pathlib import Path

import toolkit

CORE = Path(toolkit.__file__).resolve().parent
CHAPTERS = {
    "diagnosis",
    "requirements_analysis",
    "solutions",
    "tracking",
    "evaluation",
    "knowledge",
}
ABOVE_THE_CORE = CHAPTERS | {"dashboard"}


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_core_imports_no_chapter():
    breaches = []
    for path in sorted(CORE.rglob("*.py")):
        for name in _imported(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if name.split(".")[0] in ABOVE_THE_CORE:
                breaches.append(f"{path.relative_to(CORE.parent)} imports {name}")
    assert breaches == []


def test_the_check_sees_imports_inside_functions():
    tree = ast.parse("def f():\n    from evaluation.aggregates import report\n    import knowledge.models\n")
    assert _imported(tree) == {"evaluation.aggregates", "knowledge.models"}


def test_no_chapter_imports_another_chapter():
    breaches = []
    for chapter in sorted(CHAPTERS):
        root = CORE.parent / chapter
        for path in sorted(root.rglob("*.py")):
            for name in _imported(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                if name.split(".")[0] in CHAPTERS - {chapter}:
                    breaches.append(f"{path.relative_to(CORE.parent)} imports {name}")
    assert breaches == []


def test_every_chapter_is_checked():
    assert all((CORE.parent / chapter / "apps.py").is_file() for chapter in CHAPTERS)
