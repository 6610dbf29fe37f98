"""One-way layering: netlists <- accel <- placement_env <- agents <- scripts.

A module may import its own package and the packages below it, never one above. The check reads
every module's imports with :mod:`ast` (top-level and function-level imports alike), so a lazy
import cannot hide an upward dependency. ``__main__`` modules are command lines, i.e. the scripts
layer. The numpy layers (netlists, accel, placement_env) must also never pull in torch.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("netlists", "accel", "placement_env", "agents", "scripts")
RANK = {name: rank for rank, name in enumerate(LAYERS)}


def _imported_packages(path: Path) -> set[str]:
    """Top-level names of every absolute import in ``path`` that is one of :data:`LAYERS`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(LAYERS)


def _layer_of(path: Path, root: Path) -> str:
    package = path.relative_to(root).parts[0]
    return "scripts" if path.name == "__main__.py" else package


def _violations(root: Path = ROOT) -> list[str]:
    problems = []
    for package in LAYERS:
        for path in sorted((root / package).rglob("*.py")):
            layer = _layer_of(path, root)
            for imported in sorted(_imported_packages(path)):
                if RANK[imported] > RANK[layer]:
                    problems.append(f"{path.relative_to(root)} ({layer}) imports {imported}")
    return problems


def test_layering__no_module_imports_a_layer_above_its_own():
    assert _violations() == []


def test_layering__check_sees_lazy_imports(tmp_path):
    (tmp_path / "accel").mkdir()
    (tmp_path / "accel" / "bad.py").write_text(
        "def f():\n    from placement_env.timing import analyse_timing\n"
    )
    (tmp_path / "accel" / "__main__.py").write_text("import agents\n")  # scripts layer: fine
    for package in LAYERS:
        (tmp_path / package).mkdir(exist_ok=True)
    assert _violations(tmp_path) == ["accel/bad.py (accel) imports placement_env"]


@pytest.mark.parametrize("package", ["netlists", "accel", "placement_env"])
def test_import__does_not_pull_in_torch(package):
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not written yet")
    code = f"import sys, {package}; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120, check=False).returncode == 0
