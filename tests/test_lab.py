"""`make lab`: JupyterLab starts as root and as a user, with the project kernel "myositis (.venv)"."""

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from myositis import notebooks, paths


def _lab_command(uid: int) -> list[str]:
    proc = subprocess.run(["make", "-n", "lab", f"LAB_UID={uid}"], cwd=paths.ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if "jupyter lab" in ln)
    return shlex.split(line)


def test_make_lab_allows_root_only_when_root():
    assert "--allow-root" in _lab_command(0)
    assert "--allow-root" not in _lab_command(1000)
    assert _lab_command(1000)[:3] == [".venv/bin/jupyter", "lab", "notebooks/"]


def test_project_kernel_is_installed_in_this_environment():
    from jupyter_client.kernelspec import KernelSpecManager

    assert notebooks.ensure_kernel() == "myositis"
    spec = KernelSpecManager().get_kernel_spec("myositis")
    assert spec.display_name == "myositis (.venv)"
    assert Path(spec.argv[0]).parent == Path(sys.executable).parent  # this venv's Python
    assert Path(sys.prefix) in Path(spec.resource_dir).parents  # installed with --sys-prefix, not --user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not Path(sys.executable).with_name("jupyter").exists(), reason="no jupyter in this env")
def test_jupyterlab_starts_with_the_make_lab_command_and_offers_the_project_kernel():
    """Starts JupyterLab with the exact command `make lab` runs for this user (root here gets --allow-root)."""
    port = _free_port()
    cmd = _lab_command(os.getuid())
    cmd[0] = str(paths.ROOT / cmd[0])
    cmd += ["--no-browser", f"--ServerApp.port={port}", "--ServerApp.token=t", "--ServerApp.ip=127.0.0.1"]
    lab = subprocess.Popen(cmd, cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        specs = None
        for _ in range(240):
            if lab.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernelspecs?token=t", timeout=2) as r:
                    specs = json.load(r)
                break
            except OSError:
                time.sleep(0.25)
        if specs is None:
            lab.terminate()
            out = lab.communicate(timeout=30)[0]
            pytest.fail(f"JupyterLab did not start:\n{out[-3000:]}")
        assert specs["kernelspecs"]["myositis"]["spec"]["display_name"] == "myositis (.venv)"
    finally:
        if lab.poll() is None:
            lab.terminate()
            try:
                lab.wait(timeout=30)
            except subprocess.TimeoutExpired:
                lab.kill()
