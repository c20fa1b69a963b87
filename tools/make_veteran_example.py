"""Write the example digitised curves of params/tacrolimus_survival/veteran_digitised.yaml.

R's ``veteran`` data (Veterans' Administration lung cancer trial, Kalbfleisch & Prentice 1980; the same 137
patients as ``sksurv.datasets.load_veterans_lung_cancer``), one Kaplan-Meier curve per treatment arm, "digitised"
by ``myositis.survival.simulate_digitisation`` (both corners of every step, reading error 0.001 in survival and
0.05 % of the axis in time) with numbers at risk every 100 days for the standard arm only: the test arm exercises
the route with only n and the total number of events. ``tests/test_survival_comparison.py`` regenerates the
files and checks they are identical. Run: ``.venv/bin/python tools/make_veteran_example.py``.
"""

from __future__ import annotations

from myositis import io, paths
from myositis.survival import accuracy

if __name__ == "__main__":
    out = paths.RAW / "digitised"
    out.mkdir(exist_ok=True)
    for name, (curve, at_risk) in accuracy.veteran_example().items():
        io.write_csv(curve, out / f"veteran_{name}_curve.csv")
        if name == "standard":
            io.write_csv(at_risk, out / f"veteran_{name}_at_risk.csv")
