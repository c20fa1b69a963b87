from pathlib import Path

from myositis import paths


def test_root_is_the_repository():
    assert (paths.ROOT / "pyproject.toml").exists()
    assert paths.NOTEBOOKS == paths.ROOT / "notebooks"


def test_resolve_relative_and_absolute(tmp_path):
    assert paths.resolve("params/x.yaml") == paths.ROOT / "params" / "x.yaml"
    assert paths.resolve(tmp_path / "a.csv") == tmp_path / "a.csv"


def test_processed_folder_can_be_relocated(tmp_path, monkeypatch):
    import importlib

    monkeypatch.setenv("MYOSITIS_PROCESSED_DIR", str(tmp_path))
    p = importlib.reload(paths)
    try:
        assert p.resolve("data/processed/a/b.csv") == tmp_path / "a" / "b.csv"
        assert p.relative(tmp_path / "a" / "b.csv") == "data/processed/a/b.csv"
    finally:
        monkeypatch.delenv("MYOSITIS_PROCESSED_DIR")
        importlib.reload(paths)


def test_relative_never_shows_an_absolute_path(tmp_path):
    assert paths.relative(paths.ROOT / "data" / "raw") == "data/raw"
    assert paths.relative(tmp_path / "x.csv") == "x.csv"
    assert not Path(paths.relative(tmp_path / "x.csv")).is_absolute()
