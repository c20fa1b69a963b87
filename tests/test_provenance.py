"""Provenance computed from the data: kind by content, SHA-256 prefixes, the box, the run record."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import pytest

from myositis import paths, provenance
from myositis.provenance import ProvenanceError


def _sha256sum(path) -> str:
    """Reference digest from coreutils' sha256sum (not our code)."""
    return subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]


@pytest.fixture
def files(tmp_path):
    generated = tmp_path / "gen.csv"
    generated.write_text("id,group\nS1,Mi2+ DM\n", encoding="utf-8")
    own = tmp_path / "patients.csv"
    own.write_text("id,group\nP1,Mi2+ DM\n", encoding="utf-8")
    return {"generated": generated, "own": own, "digests": {provenance.sha256(generated): "demo.generator"}}


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum absent")
def test_sha256_matches_coreutils(tmp_path):
    p = tmp_path / "x.bin"
    p.write_bytes(bytes(range(256)) * 5000)  # > 1 MiB: several blocks
    assert provenance.sha256(p) == _sha256sum(p)


def test_generated_content_is_synthetic_whatever_its_name(files, tmp_path):
    renamed = tmp_path / "my_real_cohort.csv"
    shutil.copy(files["generated"], renamed)
    prov = provenance.of_run("nb", [renamed], n_patients=1, generated=files["digests"])
    assert prov.kind == "synthetic" and prov.synthetic
    assert "demo.generator" in prov.label


def test_a_file_named_synthetic_with_other_content_is_own(files, tmp_path):
    named = tmp_path / "synthetic_patients.csv"
    named.write_bytes(files["generated"].read_bytes() + b"S2,IMNM\n")
    prov = provenance.of_run("nb", [named], generated=files["digests"])
    assert prov.kind == "own"
    for text in (prov.summary(), prov.box(), prov.figure_line()):  # the user's own file name aside
        assert "synthetic" not in text.replace("synthetic_patients.csv", "").lower()


def test_one_own_file_makes_the_run_own(files):
    prov = provenance.of_run("nb", [files["generated"], files["own"]], generated=files["digests"])
    assert prov.kind == "own"
    assert [i.kind for i in prov.inputs] == ["synthetic", "own"]


def test_bundled_published_facts_are_published():
    prov = provenance.of_run("00_published_facts", ["data/raw/published/mi2.yaml"])
    assert prov.kind == "published"
    assert prov.inputs[0].path == "data/raw/published/mi2.yaml"


def test_a_modified_copy_of_published_facts_is_own(tmp_path):
    copy = tmp_path / "mi2.yaml"
    copy.write_bytes(paths.resolve("data/raw/published/mi2.yaml").read_bytes() + b"\n# edited\n")
    assert provenance.of_run("nb", [copy]).kind == "own"


def test_reconstructed_is_declared_and_synthetic_cannot_be(files):
    prov = provenance.of_run("tacrolimus_survival", ["data/raw/published/tacrolimus.yaml"], kind="reconstructed")
    assert prov.kind == "reconstructed"
    with pytest.raises(ProvenanceError, match="recognised from the files' content"):
        provenance.of_run("nb", [files["own"]], kind="synthetic")
    with pytest.raises(ProvenanceError, match="unknown kind"):
        provenance.of_run("nb", [files["own"]], kind="real")


def test_missing_input_is_a_named_error(tmp_path):
    with pytest.raises(ProvenanceError, match="absent.csv: input file not found"):
        provenance.of_run("nb", [tmp_path / "absent.csv"])


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum absent")
def test_box_names_kind_files_prefixes_and_patients(files):
    prov = provenance.of_run("mi2_phenotype", [files["own"]], n_patients=40,
                             parameters={"seed": 3, "patients_file": "x", "output_dir": "reports/x"})
    prefix = _sha256sum(files["own"])[:12]
    assert prov.summary() == f"Data: own data · patients.csv sha256 {prefix} · 40 patients"
    box = prov.box()
    assert box.startswith(f"> **Data: own data · patients.csv sha256 {prefix} · 40 patients**")
    assert "`seed` = 3" in box and "output_dir" not in box and "patients_file" not in box
    assert str(files["own"].parent) not in box  # no absolute path outside the repository
    assert prov.figure_line() == f"Own data · patients.csv {prefix} · 40 patients"


def test_one_patient_is_singular(files):
    assert provenance.of_run("nb", [files["own"]], n_patients=1, unit="cases").summary().endswith("· 1 case")


def test_run_record_has_the_schema_and_the_date_only_there(files, tmp_path):
    prov = provenance.of_run("nb", [files["generated"]], n_patients=1, parameters={"seed": 7},
                             generated=files["digests"])
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    out = prov.write(tmp_path / "out", now=when)
    assert out.name == "provenance.json"
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["schema"] == "myositis.provenance/1"
    assert record["kind"] == "synthetic" and record["synthetic"] is True
    assert record["created_utc"] == "2026-01-02T03:04:05Z"
    assert record["inputs"][0]["sha256"] == provenance.sha256(files["generated"])
    assert record["inputs"][0]["sha256_short"] == record["inputs"][0]["sha256"][:12]
    assert record["parameters"] == {"seed": 7} and record["n_patients"] == 1
    assert provenance.read(tmp_path / "out") == record
    assert "2026" not in prov.box() + prov.figure_line() + prov.summary()


def test_exported_tables_carry_the_summary(files, tmp_path):
    prov = provenance.of_run("nb", [files["own"]], n_patients=2)
    html, tex, csv = tmp_path / "t.html", tmp_path / "t.tex", tmp_path / "t.csv"
    html.write_text("<table></table>", encoding="utf-8")
    tex.write_text("\\begin{tabular}\n", encoding="utf-8")
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    written = prov.annotate([html, tex, csv])
    assert html.read_text(encoding="utf-8").startswith("<!-- Data: own data · patients.csv sha256 ")
    assert tex.read_text(encoding="utf-8").startswith("% Data: own data")
    assert csv.read_text(encoding="utf-8") == "a,b\n1,2\n"  # the CSV itself stays a plain table
    assert (tmp_path / "t.csv.provenance.txt").read_text(encoding="utf-8") == prov.summary() + "\n"
    prov.annotate([html])  # idempotent
    assert html.read_text(encoding="utf-8").count("<!--") == 1
    assert len(written) == 3


def test_digest_of_written_follows_the_writer(tmp_path):
    digest = provenance.digest_of_written(lambda p: p.write_text("a,b\n", encoding="utf-8"))
    target = tmp_path / "x.csv"
    target.write_text("a,b\n", encoding="utf-8")
    assert digest == provenance.sha256(target)


def test_figures_carry_the_provenance_line_in_image_and_metadata(files, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from myositis.figures import style

    prov = provenance.of_run("nb", [files["own"]], n_patients=40)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    plain = style.save(fig, tmp_path / "plain", formats=("png",))[0]
    style.save(fig, tmp_path / "fig", formats=("png", "pdf"), provenance=prov)
    style.save(fig, tmp_path / "fig", formats=("png", "pdf"), provenance=prov)  # saved again: still one line
    assert [t.get_text() for t in fig.texts] == [prov.figure_line()]
    png = Image.open(tmp_path / "fig.png")
    assert png.info["Description"] == "Own data · patients.csv " + prov.inputs[0].short + " · 40 patients"
    assert png.size[1] > Image.open(plain).size[1]  # the line is drawn under the figure
    subject = b"/Subject (\xfe\xff" + prov.figure_line().encode("utf-16-be")  # PDF text string, UTF-16 with BOM
    assert subject in (tmp_path / "fig.pdf").read_bytes()
    plt.close(fig)
