import shutil

import pytest

from myositis import manifest, paths
from myositis.exceptions import ManifestError


def test_repository_raw_data_match_the_manifest():
    assert manifest.problems() == []


def test_changed_added_and_missing_files_are_named(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW, raw)
    man = raw / "manifest.csv"
    (raw / "published" / "mi2.yaml").write_text("changed\n")
    (raw / "new.csv").write_text("a\n")
    (raw / "published" / "sam.yaml").unlink()
    found = manifest.problems(raw, man)
    assert "data/raw/new.csv: not listed in the manifest" in found
    assert "data/raw/published/sam.yaml: listed in the manifest but missing" in found
    assert any(f.startswith("data/raw/published/mi2.yaml: SHA-256") for f in found)
    with pytest.raises(ManifestError, match="raw data do not match"):
        manifest.check(raw, man)
    manifest.update(raw, man)
    assert manifest.problems(raw, man) == []
    assert manifest.read(man)["published/tacrolimus.yaml"]["source"].startswith("Tsuji")
