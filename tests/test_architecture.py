"""The project's boundaries, checked the way a reviewer would: by reading the code."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_APPS = ["accounts", "catalog", "checkout", "dashboards", "site_config"]


def _imported_modules(app: str) -> set[str]:
    modules = set()
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules.add(node.module)
    return modules


def test_ruff_refuses_stripe_imports_outside_the_gateways():
    def lint(filename: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--stdin-filename", filename, "-"],
            input="import stripe\n\nclient = stripe.StripeClient\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
        )

    refused = lint("catalog/views.py")
    assert refused.returncode == 1
    assert "TID251" in refused.stdout
    assert lint("checkout/stripe_payments.py").returncode == 0
    assert lint("site_config/stripe_client.py").returncode == 0
    assert lint("site_config/settings.py").returncode == 1


def test_both_gateways_share_one_client_and_one_error_mapping():
    """The client factory, StripeGatewayError and the error mapping live in one neutral module;
    neither gateway defines its own nor reaches into the other for them."""
    for gateway in ("accounts/stripe_connect.py", "checkout/stripe_payments.py"):
        tree = ast.parse((ROOT / gateway).read_text())
        defined = {
            node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)
        }
        assert not defined & {"StripeGatewayError", "stripe_client", "stripe_errors"}, gateway
        imported = {
            alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module == "site_config.stripe_client"
            for alias in node.names
        }
        assert "stripe_errors" in imported, gateway


def test_product_apps_never_import_the_sandbox():
    for app in PRODUCT_APPS:
        offending = {m for m in _imported_modules(app) if m.split(".")[0] == "stripe_sandbox"}
        # site_config may name the sandbox's router as a string, never import it.
        assert not offending, f"{app} imports {offending}"


def test_every_setting_is_declared_in_settings_py():
    """No `getattr(settings, NAME, default)`: a default hidden in a module is a setting nobody
    can find; settings.py declares each one."""
    offending = []
    for app in [*PRODUCT_APPS, "stripe_sandbox"]:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "getattr"
                    and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == "settings"
                ):
                    offending.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offending
