"""Production settings read from the environment, checked in a fresh interpreter per case."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "test-only-secret",
    "SITE_URL": "https://courses.example.com",
    "DJANGO_ALLOWED_HOSTS": "courses.example.com",
    "STRIPE_SANDBOX_ALLOWED": "1",
}


def _settings(env: dict, *names: str) -> dict:
    script = (
        "import json, site_config.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}))"
    )
    environ = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("flag", "preload"), [(None, False), ("0", False), ("1", True)])
def test_hsts_preload_is_opt_in(flag, preload):
    env = dict(PRODUCTION, **({"DJANGO_HSTS_PRELOAD": flag} if flag is not None else {}))

    found = _settings(env, "SECURE_HSTS_PRELOAD", "SECURE_HSTS_SECONDS")

    assert found == {"SECURE_HSTS_PRELOAD": preload, "SECURE_HSTS_SECONDS": 31536000}
