"""``index.html`` of a report folder: every report present, not only the last batch's, with its provenance.

Each run leaves a record (``<output>.run.json``, written by the runner) beside its report; the index is built
from the records found in the folder, so running one params file never drops the other reports. For each run it
shows what happened in the last batch that included it (ran, reused because nothing it depends on changed, or
failed) and when the report was made, the data it was made from (the provenance the notebook wrote, when it
wrote one: ``<output>/provenance.json``), its figures and files. Sweeps get their own section.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

RECORD = ".run.json"
STATUS = {"ok": ("ok", "ran"), "reused": ("reused", "reused"), "failed": ("failed", "FAILED")}


def provenance(reports: Path, output: str) -> dict:
    """The provenance a run recorded (``<output>/provenance.json``; schema ``myositis.provenance/1``), or {}."""
    try:
        doc = json.loads((Path(reports) / output / "provenance.json").read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def records(reports: Path) -> list[dict]:
    """The run records of a report folder, by output name."""
    out = []
    for path in sorted(Path(reports).glob(f"*{RECORD}")):
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(rec, dict) and rec.get("output"):
            out.append(rec)
    return out


def _row(reports: Path, rec: dict, batch: dict) -> str:
    out = rec["output"]
    res = batch.get(out)
    status = res.status if res is not None else rec.get("status", "")
    failed = status == "failed"
    page = f"{out}.failed.html" if failed else f"{out}.html"
    nb = f"{out}.failed.ipynb" if failed else f"{out}.ipynb"
    made = (res.made if res is not None else rec.get("made", "")) or ""
    if res is None:
        mark = (f'<span class="{"failed" if failed else "earlier"}">{"FAILED" if failed else "earlier batch"}'
                f'</span><br><small>made {escape(made)}</small>')
    else:
        css, word = STATUS.get(status, ("", status))
        mark = f'<span class="{css}">{word}</span><br><small>made {escape(made)}</small>'
        if status == "reused":
            mark += "<br><small>nothing it depends on changed</small>"
        elif res.reason and not failed:
            mark += f"<br><small>why: {escape(res.reason)}</small>"
    if failed and rec.get("error"):
        mark += f"<pre>{escape(rec['error'])}</pre>"
    prov = provenance(reports, out)
    prov_html = (f'<br><span class="prov">{escape(str(prov.get("summary", "")))}</span>' if prov.get("summary")
                 else "")
    files = rec.get("files") or []
    figs = "".join(f'<a href="{escape(f)}"><img src="{escape(f)}" alt="{escape(f)}" loading="eager"></a>'
                   for f in files if f.endswith(".png"))
    others = "".join(f'<li><a href="{escape(f)}">{escape(f)}</a></li>' for f in files if not f.endswith(".png"))
    seconds = float(rec.get("seconds") or 0.0)
    return (f"<tr><td><a href=\"{escape(page)}\">{escape(out)}</a><br><small>{escape(rec.get('description', ''))}"
            f"</small>{prov_html}</td><td><code>{escape(rec.get('notebook', ''))}</code><br>"
            f"<code>{escape(rec.get('params_file', ''))}</code><br><a href=\"{escape(nb)}\">executed notebook</a>"
            f"</td><td>{mark}</td><td>{seconds:.1f} s</td><td class=\"figs\">{figs}<ul>{others}</ul></td></tr>")


def _sweeps(reports: Path) -> str:
    items = []
    for path in sorted(Path(reports).glob("*.sweep.json")):
        try:
            sw = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        runs = "".join(f'<li><a href="{escape(r)}.html">{escape(r)}</a></li>' for r in sw.get("runs", []))
        items.append(
            f"<tr><td><a href=\"{escape(sw['page'])}\">{escape(sw['sweep'])}</a><br>"
            f"<small>{escape(sw.get('description', ''))}</small><br><code>{escape(sw.get('params_file', ''))}</code>"
            f"</td><td>{len(sw.get('runs', []))} run(s) over {escape(', '.join(sw.get('swept', [])))}; "
            f"{sw.get('ok', 0)} succeeded<br><a href=\"{escape(sw['table'])}\">table (CSV)</a>"
            f"<details><summary>runs</summary><ul>{runs}</ul></details></td>"
            f"<td class=\"figs\"><a href=\"{escape(sw['page'])}\"><img src=\"{escape(sw['figure'])}\" "
            f"alt=\"results of {escape(sw['sweep'])}\" loading=\"eager\"></a></td></tr>")
    if not items:
        return ""
    return ("<h2>Sweeps</h2>\n<table><tr><th>Sweep</th><th>Runs and table</th><th>Results against the swept "
            "parameters</th></tr>\n" + "".join(items) + "</table>")


def write(reports: Path, batch_results: list, wall: float) -> Path:
    """Write ``<reports>/index.html`` from every run record in the folder (sweep points under their sweep)."""
    reports = Path(reports)
    batch = {r.output: r for r in batch_results}
    recs = records(reports)
    plain = [r for r in recs if not r.get("sweep")]
    rows = "".join(_row(reports, r, batch) for r in plain)
    recorded = {r["output"] for r in recs}
    sweep_pages = {p.name.removesuffix(".sweep.json") for p in reports.glob("*.sweep.json")}
    loose = sorted(p.stem for p in reports.glob("*.html") if p.name != "index.html" and not
                   p.name.endswith(".failed.html") and p.stem not in recorded and p.stem not in sweep_pages)
    loose_html = ("<h2>Other reports (no run record)</h2><ul>" +
                  "".join(f'<li><a href="{escape(n)}.html">{escape(n)}</a></li>' for n in loose) + "</ul>"
                  if loose else "")
    n = {s: sum(r.status == s for r in batch_results) for s in ("ok", "reused", "failed")}
    kinds = sorted({provenance(reports, r["output"]).get("kind_label") or provenance(reports, r["output"]).get("kind")
                    for r in recs} - {None, ""})
    data_line = ("Data of the reports here: " + "; ".join(escape(str(k)) for k in kinds) + " (each row says which)."
                 if kinds else "Each report says what its data are.")
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Myositis notebooks: reports</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border-bottom: 1px solid #ddd; padding: .5em;
vertical-align: top; text-align: left; }} .ok {{ color: #009E73; font-weight: bold; }}
.reused {{ color: #0072B2; font-weight: bold; }} .earlier {{ color: #555; font-weight: bold; }}
.failed {{ color: #D55E00; font-weight: bold; }} .figs img {{ height: 120px; margin: 2px; border: 1px solid #eee; }}
.prov {{ font-size: 85%; color: #444; }}
pre {{ white-space: pre-wrap; font-size: 85%; }} ul {{ margin: .2em 0; padding-left: 1.2em; font-size: 85%; }}
</style></head><body>
<h1>Myositis notebooks: reports</h1>
<p>{len(recs)} report(s) in this folder. Last batch: {n['ok']} ran, {n['reused']} reused (nothing they depend on
changed), {n['failed']} failed; wall time {wall:.1f} s. {data_line}</p>
<table><tr><th>Report</th><th>Notebook and params</th><th>Status</th><th>Time</th><th>Figures and files</th></tr>
{rows}
</table>
{_sweeps(reports)}
{loose_html}
</body></html>
"""
    index = reports / "index.html"
    index.write_text(html, encoding="utf-8")
    return index
