"""requirements.txt is the single source of pins; environment.yml installs it for conda users."""

import re

import yaml

from myositis import paths


def pins():
    out = {}
    for line in (paths.ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]+\])?==([^\s;]+)", line)
            assert m, f"requirements.txt: '{line}' is not pinned with =="
            out[m.group(1).lower()] = m.group(3)
    return out


def test_every_requirement_is_pinned_and_lifelines_has_pandas_below_3():
    p = pins()
    for pkg in ["jupyterlab", "pandas", "matplotlib", "seaborn", "lifelines", "papermill", "nbval", "tableone",
                "statsmodels", "scipy", "pandera", "jupytext", "nbconvert"]:
        assert pkg in p, f"{pkg} missing from requirements.txt"
    assert int(p["pandas"].split(".")[0]) < 3  # lifelines 0.30.3 requires pandas<3


def test_environment_yml_installs_the_same_pins():
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-r requirements.txt" in pip and "-e ." in pip
    # no version is pinned a second time (and so cannot drift)
    assert not [d for d in deps if isinstance(d, str) and d.split("=")[0] in pins()]


def test_installed_versions_are_the_pins():
    from importlib import metadata

    wrong = {k: (v, metadata.version(k)) for k, v in pins().items() if metadata.version(k) != v}
    assert not wrong, f"installed versions differ from requirements.txt: {wrong}"
