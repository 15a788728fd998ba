"""docs/tour.md cannot rot: every file and name it cites exists, and its Parts run 1 to 13.

References are read from the text (`minifast/x.py:Name`, `tests/y.py:test_name`,
`examples/z.py`, `Class.method`) and resolved in each file's syntax tree, so nothing is imported.
"""

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "docs" / "tour.md"

# A path under one of the three trees, optionally followed by `:Name` or `:Class.method`.
REFERENCE = re.compile(
    r"(?<![\w/.-])((?:minifast|tests|examples)/[\w/]+\.py)(?::([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*))?"
)
PART_HEADING = re.compile(r"^## Part (\d+)\b", re.MULTILINE)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def references(text: str) -> list[tuple[str, str | None]]:
    """Every (file, name) the text cites, in order, without repeats; name is None for a file."""
    found = [(match[1], match[2]) for match in REFERENCE.finditer(text)]
    return list(dict.fromkeys(found))


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _defined(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """The names a module or class body defines: functions, classes and assigned names."""
    names: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return names


def problem(root: Path, file: str, name: str | None) -> str | None:
    """Why a reference is broken, or None when the file exists and defines the name."""
    path = root / file
    if not path.is_file():
        return f"{file}: no such file"
    if name is None:
        return None
    body: list[ast.stmt] = _tree(path).body
    for depth, part in enumerate(name.split(".")):
        node = _defined(body).get(part)
        if node is None:
            where = file if depth == 0 else f"{file}:{'.'.join(name.split('.')[:depth])}"
            return f"{file}:{name}: {part!r} is not defined in {where}"
        body = node.body if isinstance(node, ast.ClassDef) else []
    return None


def broken(text: str, root: Path = ROOT) -> list[str]:
    """Every broken reference in `text`, explained."""
    found = (problem(root, file, name) for file, name in references(text))
    return [reason for reason in found if reason is not None]


@pytest.fixture(scope="module")
def tour() -> str:
    return TOUR.read_text(encoding="utf-8")


def test_every_reference_exists(tour: str) -> None:
    assert len(references(tour)) > 100  # the regex still finds the tour's references
    assert broken(tour) == []


def test_a_broken_reference_is_reported() -> None:
    text = (
        "`minifast/resolve.py:serve_http` `minifast/resolve.py:no_such_function` "
        "`minifast/api_routes.py:APIRoute.handle` `minifast/api_routes.py:APIRoute.nothing` "
        "`tests/test_tour.py:test_every_reference_exists` `examples/no_such_example.py`"
    )
    assert broken(text) == [
        "minifast/resolve.py:no_such_function: 'no_such_function' is not defined in "
        "minifast/resolve.py",
        "minifast/api_routes.py:APIRoute.nothing: 'nothing' is not defined in "
        "minifast/api_routes.py:APIRoute",
        "examples/no_such_example.py: no such file",
    ]


def test_links_to_other_documents_exist(tour: str) -> None:
    targets = [target for target in LINK.findall(tour) if "://" not in target]
    assert targets
    assert [target for target in targets if not (TOUR.parent / target).exists()] == []


def test_parts_appear_in_order(tour: str) -> None:
    assert [int(number) for number in PART_HEADING.findall(tour)] == list(range(1, 14))


def test_each_part_cites_code_and_a_test(tour: str) -> None:
    sections = PART_HEADING.split(tour)[1:]  # number, text, number, text, ...
    for number, section in zip(sections[::2], sections[1::2], strict=True):
        files = [file for file, _ in references(section)]
        assert any(file.startswith("minifast/") for file in files), f"Part {number}: no code"
        assert any(file.startswith("tests/") for file in files), f"Part {number}: no test"
