"""Shared test helpers: tools that must be present in CI (MYOSITIS_REQUIRE_*) and skip elsewhere."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(tool: str, env: str) -> str:
    """Path of an external tool; skip when absent, unless ``env`` is set (CI), where absence fails."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get(env):
            pytest.fail(f"{tool} is required here ({env} is set) but not installed; run `make sysdeps`")
        pytest.skip(f"{tool} not installed (run `make sysdeps`)")
    return path


def pytest_configure(config):
    """The notebooks name the project kernel: install it into this environment if missing (controller only,
    before any xdist worker starts), so that nbval and papermill find it in a fresh clone."""
    if not hasattr(config, "workerinput"):
        from myositis import notebooks

        notebooks.ensure_kernel()
