"""The house rules that keep the code walkable: layers (DESIGN.md), and tests that read alone."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
PACKAGES = [
    "core",
    "accounts",
    "audit",
    "matching",
    "messaging",
    "scheduling",
    "sessions_video",
    "teletherapy",
]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_of_the_project(tmp_path: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(BASE / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(BASE / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_hold():
    result = _lint_imports(BASE)

    assert result.returncode == 0, result.stdout + result.stderr


def test_an_import_against_the_layers_fails_the_lint(tmp_path):
    root = _copy_of_the_project(tmp_path)
    with (root / "core" / "crypto.py").open("a") as module:
        module.write("\n\ndef _upwards():\n    from matching import selectors  # noqa\n")

    result = _lint_imports(root)

    assert result.returncode != 0
    assert "core.crypto -> matching.selectors" in result.stdout


def test_the_access_log_never_imports_the_apps_it_logs_for(tmp_path):
    root = _copy_of_the_project(tmp_path)
    with (root / "audit" / "services.py").open("a") as module:
        module.write("\n\ndef _upwards():\n    from messaging import selectors  # noqa\n")

    result = _lint_imports(root)

    assert result.returncode != 0
    assert "audit.services -> messaging.selectors" in result.stdout


def test_a_cycle_inside_an_app_fails_the_lint(tmp_path):
    root = _copy_of_the_project(tmp_path)
    with (root / "messaging" / "models.py").open("a") as module:
        module.write("\n\ndef _back():\n    from messaging import services  # noqa\n")

    result = _lint_imports(root)

    assert result.returncode != 0


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_no_test_module_imports_another():
    """Shared helpers live in modules of their own (factories, sockets, e2e.browser), so that
    a test file reads alone and fixtures are not imported by accident."""
    offenders = []
    for path in sorted((BASE / "tests").rglob("*.py")):
        for module in _imported_modules(path):
            last = module.rsplit(".", 1)[-1]
            if module.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
                offenders.append(f"{path.relative_to(BASE)} imports {module}")
    assert offenders == []
