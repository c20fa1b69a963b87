"""CI files for researchers' forks: valid against the published schemas and running the README's `make test`."""

import re
import subprocess
import sys

import pytest
import yaml

from myositis import paths

GITHUB = paths.ROOT / ".github" / "workflows" / "test.yml"
GITLAB = paths.ROOT / ".gitlab-ci.yml"


def _validate(schema: str, *files) -> subprocess.CompletedProcess:
    """check-jsonschema with its vendored copy of the schema (SchemaStore's), no network."""
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                           *map(str, files)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("schema, path", [("vendor.github-workflows", GITHUB), ("vendor.gitlab-ci", GITLAB)])
def test_ci_file_is_valid_against_its_published_schema(schema, path):
    proc = _validate(schema, path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    doc = yaml.safe_load(GITHUB.read_text())
    del doc["jobs"]["test"]["runs-on"]
    bad = tmp_path / "test.yml"
    bad.write_text(yaml.safe_dump(doc))
    assert _validate("vendor.github-workflows", bad).returncode != 0
    gl = yaml.safe_load(GITLAB.read_text())
    gl["test"]["script"] = "make test"
    gl["test"]["when"] = "sometimes"
    bad_gl = tmp_path / ".gitlab-ci.yml"
    bad_gl.write_text(yaml.safe_dump(gl))
    assert _validate("vendor.gitlab-ci", bad_gl).returncode != 0


def test_both_run_make_test_on_python_311_as_root_with_a_pip_cache_and_required_tools():
    gh = yaml.safe_load(GITHUB.read_text())
    job = gh["jobs"]["test"]
    assert job["container"].startswith("python:3.11")  # root in Debian: make test installs chromium and R
    assert [s["run"] for s in job["steps"] if "run" in s] == ["make test"]
    cache = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/cache"))
    assert "hashFiles('requirements.txt')" in cache["with"]["key"]
    assert cache["with"]["path"] == job["env"]["PIP_CACHE_DIR"]
    gl = yaml.safe_load(GITLAB.read_text())
    assert gl["image"].startswith("python:3.11") and gl["test"]["script"] == ["make test"]
    assert gl["cache"]["key"]["files"] == ["requirements.txt"]
    assert gl["variables"]["PIP_CACHE_DIR"] == "$CI_PROJECT_DIR/" + gl["cache"]["paths"][0]
    # the tools .ci/run requires (tests that must run, never skip) are required in the forks' CI too
    required = set(re.findall(r"(MYOSITIS_REQUIRE_\w+)=1", (paths.ROOT / ".ci" / "run").read_text()))
    assert {"MYOSITIS_REQUIRE_BROWSER", "MYOSITIS_REQUIRE_R"} <= required
    for env in (job["env"], gl["variables"]):
        assert {k for k, v in env.items() if k.startswith("MYOSITIS_REQUIRE_") and v == "1"} == required
    # the pip cache inside the project must not be scanned or committed
    assert ".cache/" in (paths.ROOT / ".gitignore").read_text().split()
    # what the tests need from apt is what make test installs (tools/system-deps.sh), nothing listed twice here
    assert "apt-get" not in GITHUB.read_text() + GITLAB.read_text()
