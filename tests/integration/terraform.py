"""Running terraform offline on a copy of infra/terraform, for the tests that need the
binary (``terraform validate``/``fmt``/``console``/``plan``).

The AWS provider comes from a local plugin folder (``$TF_PLUGIN_DIR``, default
``/opt/tf-plugins``): there is no registry access here. Where terraform or the provider
is missing, :func:`stack_copy` skips the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "infra" / "terraform"


def plugin_dir() -> Path | None:
    """The local provider folder, if it holds the AWS provider."""
    folder = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
    return folder if (folder / "registry.terraform.io" / "hashicorp" / "aws").is_dir() else None


def run_terraform(
    folder: Path, *args: str, stdin: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``terraform *args`` in ``folder``, with no CLI configuration or argument from the
    machine's environment."""
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1"}
    env.pop("TF_CLI_ARGS", None)
    return subprocess.run(
        ["terraform", *args],
        cwd=folder,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stack_copy(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, Path]:
    """A fresh copy of infra/terraform (without state or ``.terraform``) and the plugin
    folder to initialise it with; skips the test where terraform cannot run."""
    plugins = plugin_dir()
    if shutil.which("terraform") is None or plugins is None:
        pytest.skip("terraform or its AWS provider is not installed (no registry access)")
    work = tmp_path_factory.mktemp(name) / "terraform"
    shutil.copytree(TF, work, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    return work, plugins


def init(folder: Path, plugins: Path) -> None:
    """``terraform init`` without a backend, against the local plugin folder."""
    completed = run_terraform(
        folder, "init", "-backend=false", "-input=false", f"-plugin-dir={plugins}"
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
