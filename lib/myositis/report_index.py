"""``index.html`` of a report folder: every report present, not only the last batch's, with its provenance.

Each run leaves a record (``<output>.run.json``, written by the runner) beside its report; the index is built
from the records found in the folder, so running one params file never drops the other reports. For each run it
shows what happened in the last batch that included it (ran, reused because nothing it depends on changed, or
failed) and when the report was made, the data it was made from (the provenance the notebook wrote, when it
wrote one: ``<output>/provenance.json``), its figures and files. Sweeps get their own section. A report run
with papermill and rendered with ``python -m myositis html`` gets a record too (:func:`add_rendered`).
"""

from __future__ import annotations

import json
import time
from html import escape
from pathlib import Path

RECORD = ".run.json"
PAPERMILL = "papermill"  # route of a report run with papermill and rendered with ``python -m myositis html``
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
    papermill = rec.get("route") == PAPERMILL
    page = f"{out}.failed.html" if failed and not papermill else f"{out}.html"
    nb = f"{out}.failed.ipynb" if failed and not papermill else f"{out}.ipynb"
    made = (res.made if res is not None else rec.get("made", "")) or ""
    if papermill:
        mark = (f'<span class="{"failed" if failed else "earlier"}">{"FAILED" if failed else "papermill"}</span>'
                f'<br><small>made {escape(made)}</small><br><small>run with papermill, rendered with '
                f'<code>python -m myositis html</code></small>')
    elif res is None:
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
    prov = provenance(reports, rec.get("output_dir") or out)
    prov_html = (f'<br><span class="prov">{escape(str(prov.get("summary", "")))}</span>' if prov.get("summary")
                 else "")
    files = rec.get("files") or []
    figs = "".join(f'<a href="{escape(f)}"><img src="{escape(f)}" alt="{escape(f)}" loading="eager"></a>'
                   for f in files if f.endswith(".png"))
    others = "".join(f'<li><a href="{escape(f)}">{escape(f)}</a></li>' for f in files if not f.endswith(".png"))
    seconds = float(rec.get("seconds") or 0.0)
    params = (f"<code>{escape(rec.get('params_file', ''))}</code>" if not papermill else
              "<small>parameters: " + (escape("; ".join(f"{k}={v}" for k, v in (rec.get("parameters") or {}).items()))
                                       or "the notebook's defaults") + "</small>")
    return (f"<tr><td><a href=\"{escape(page)}\">{escape(out)}</a><br><small>{escape(rec.get('description', ''))}"
            f"</small>{prov_html}</td><td><code>{escape(rec.get('notebook', ''))}</code><br>"
            f"{params}<br><a href=\"{escape(nb)}\">executed notebook</a>"
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


def write(reports: Path, batch_results: list, wall: float | None, note: str = "") -> Path:
    """Write ``<reports>/index.html`` from every run record in the folder (sweep points under their sweep).

    ``wall`` is the last batch's wall time; None when the index is rewritten outside a batch (``note`` then says
    why, e.g. a report rendered with ``python -m myositis html``)."""
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
    provs = [provenance(reports, r.get("output_dir") or r["output"]) for r in recs]
    kinds = sorted({p.get("kind_label") or p.get("kind") for p in provs} - {None, ""})
    data_line = ("Data of the reports here: " + "; ".join(escape(str(k)) for k in kinds) + " (each row says which)."
                 if kinds else "Each report says what its data are.")
    last = (f"Last batch: {n['ok']} ran, {n['reused']} reused (nothing they depend on changed), {n['failed']} "
            f"failed; wall time {wall:.1f} s." if wall is not None else escape(note))
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
<p>{len(recs)} report(s) in this folder. {last} {data_line}</p>
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


def add_rendered(notebook: Path, html: Path) -> Path:
    """List a report rendered with ``python -m myositis html`` (README's papermill route) in its folder's index.

    Writes the report's record (``<stem>.run.json``, route ``papermill``: the notebook papermill ran, its
    parameters, status, date and time, the files of its ``output_dir`` when that lies in the folder, where its
    provenance is) from the metadata papermill left in the executed notebook, then rewrites the folder's
    ``index.html`` from every record present: other reports are kept. A record the runner wrote for the same
    name is left as it is (the runner's incremental checks read it); the index is rewritten all the same.

    Parameters
    ----------
    notebook : Path
        The executed notebook (papermill's output).
    html : Path
        Its rendered report, in the folder whose index is updated.

    Returns
    -------
    Path
        The index written.
    """
    from . import paths

    notebook, html = Path(notebook).resolve(), Path(html).resolve()
    reports = html.parent
    output = html.stem
    record_path = reports / f"{output}{RECORD}"
    try:
        old = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = None
    if not (isinstance(old, dict) and old.get("output") and old.get("route") != PAPERMILL):
        try:
            meta = (json.loads(notebook.read_text(encoding="utf-8")).get("metadata") or {}).get("papermill") or {}
        except ValueError:
            meta = {}
        parameters = meta.get("parameters") or {}
        source = meta.get("input_path") or ""
        shown_nb = paths.relative(paths.resolve(source)) if source else paths.relative(notebook)
        out_dir = reports / output
        if isinstance(parameters.get("output_dir"), str):
            out_dir = paths.resolve(parameters["output_dir"])
        try:
            rel_dir = out_dir.resolve().relative_to(reports).as_posix()
        except ValueError:  # outside the folder: neither its files nor its provenance can be linked
            rel_dir = ""
        files = sorted(p.relative_to(reports).as_posix() for p in (reports / rel_dir).rglob("*") if p.is_file()) \
            if rel_dir and (reports / rel_dir).is_dir() else []
        end = str(meta.get("end_time") or "")
        made = (end[:16].replace("T", " ") + " UTC") if end else \
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(notebook.stat().st_mtime))
        record = {"output": output, "route": PAPERMILL, "notebook": shown_nb, "params_file": "",
                  "description": f"run with papermill from {shown_nb}", "parameters": parameters,
                  "status": "failed" if meta.get("exception") else "ok", "seconds": meta.get("duration") or 0.0,
                  "made": made, "files": files, "output_dir": rel_dir or None,
                  "error": "a cell raised an error: see the report" if meta.get("exception") else ""}
        record_path.write_text(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return write(reports, [], None, note=f"Last change: {output}.html rendered with python -m myositis html.")
