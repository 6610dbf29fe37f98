"""One-way layering: the numpy layers (netlists, accel, placement_env) never import torch;
agents may."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["netlists", "accel", "placement_env"])
def test_import__does_not_pull_in_torch(package):
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not written yet")
    code = f"import sys, {package}; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120, check=False).returncode == 0
