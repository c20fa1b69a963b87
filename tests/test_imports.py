"""myositis.imports: optional extras kept out of the batch's processes, still importable afterwards."""

import subprocess
import sys

import pytest

from myositis import imports


def test_without_hides_then_restores_a_package():
    name = "myositis_no_such_package_xyz"
    with imports.without(name, "sys"):  # an imported module is left alone
        with pytest.raises(ImportError):
            __import__(name)
        assert sys.modules["sys"] is sys
    assert name not in sys.modules


def test_mi2_validates_without_importing_hypothesis_which_stays_importable(tmp_path):
    code = ("import sys; from myositis import mi2; p, v, _ = mi2.cohort_files('', '', 3, sys.argv[1]); "
            "c = mi2.load_cohort(p, v); print('hypothesis' in sys.modules, len(c.patients) > 0); "
            "import hypothesis.strategies; print('importable')")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "importable"]
