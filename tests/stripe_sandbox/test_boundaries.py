"""The sandbox and the product are separate worlds: neither imports the other."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_APPS = ("accounts", "catalog", "checkout", "dashboards", "site_config")
SANDBOX = "stripe_sandbox"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _top_level(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("path", _python_files(SANDBOX), ids=str)
def test_sandbox_never_imports_product_apps(path):
    imported = {_top_level(module) for module in _imported_modules(path)}

    assert not imported & set(PRODUCT_APPS), f"{path} imports {imported & set(PRODUCT_APPS)}"


@pytest.mark.parametrize(
    "path", [path for app in PRODUCT_APPS for path in _python_files(app)], ids=str
)
def test_product_apps_never_import_the_sandbox(path):
    imported = {_top_level(module) for module in _imported_modules(path)}

    assert SANDBOX not in imported, f"{path} imports {SANDBOX}"
