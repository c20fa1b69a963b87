"""The batch on a dask.distributed cluster: same progress lines, failure reporting and index as the local pool."""

import json

import pytest

from myositis import executors, runner
from test_runner import make_notebook, make_params


def test_executor_choice(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert isinstance(executors.choose(None, 2, 5), executors.LocalPool)
    assert executors.choose(None, 8, 3).jobs == 3
    assert executors.choose("tcp://h:8786", None, 3).address == "tcp://h:8786"
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://cluster:8786")
    assert executors.choose(None, 2, 3).describe() == "dask scheduler tcp://cluster:8786"


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    # two worker processes of one thread each, as `dask worker --nthreads 1` on a cluster (two notebooks in
    # threads of one process can share an event loop: papermill/nbclient are not thread-safe)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as c:
        yield c


def test_batch_on_a_dask_cluster(tmp_path, capsys, cluster):
    ok = make_params(tmp_path / "ok.yaml", make_notebook(tmp_path / "ok.ipynb", "print('result', y)"),
                     output="good", parameters={"x": 41})
    bad = make_params(tmp_path / "bad.yaml", make_notebook(tmp_path / "bad.ipynb", "raise ValueError('no CK')"),
                      output="bad")
    reports = tmp_path / "reports"
    code = runner.main([str(ok), str(bad)], reports=str(reports), scheduler=cluster.scheduler_address)
    out = capsys.readouterr()
    assert code == 1
    assert f"dask scheduler {cluster.scheduler_address}" in out.out
    # the start lines come from the workers, the rest from the batch: the same lines as with the local pool
    assert "  start  good" in out.out and "  start  bad" in out.out
    assert "ok     good" in out.out and "FAILED bad" in out.out
    assert "failed in cell 4" in out.out and "ValueError: no CK" in out.out
    assert (reports / "good.html").exists() and (reports / "bad.failed.html").exists()
    runs = json.loads((reports / "runs.json").read_text())["runs"]
    assert [r["status"] for r in runs] == ["ok", "failed"]
    index = (reports / "index.html").read_text()
    assert 'href="good.html"' in index and 'href="bad.failed.html"' in index

    # incremental on the cluster too: the unchanged successful run is reused, the failed one re-runs
    assert runner.main([str(ok), str(bad)], reports=str(reports), scheduler=cluster.scheduler_address) == 1
    runs = json.loads((reports / "runs.json").read_text())["runs"]
    assert [r["status"] for r in runs] == ["reused", "failed"]


def test_dask_scheduler_from_the_environment(tmp_path, capsys, cluster, monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
    p = make_params(tmp_path / "p.yaml", make_notebook(tmp_path / "n.ipynb", "print(y)"), output="env")
    assert runner.main([str(p)], reports=str(tmp_path / "reports")) == 0
    assert "dask scheduler" in capsys.readouterr().out


def _warm_mark():
    """A worker's warm-up for the test: leaves a file named after its process."""
    import os
    import pathlib

    pathlib.Path(os.environ["MYOSITIS_TEST_WARM_DIR"], str(os.getpid())).write_text("warm")


def _pid_and_warm(run):
    import os
    import pathlib

    return os.getpid(), pathlib.Path(os.environ["MYOSITIS_TEST_WARM_DIR"], str(os.getpid())).exists()


def test_each_pool_worker_warms_up_before_its_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MYOSITIS_TEST_WARM_DIR", str(tmp_path))
    results = [res for _, res in executors.LocalPool(2, warm=_warm_mark).run(list(range(6)), _pid_and_warm)]
    assert len(results) == 6 and all(warm for _, warm in results)
    warmed = {p.name for p in tmp_path.iterdir()}
    assert len(warmed) == 2 and {str(pid) for pid, _ in results} <= warmed  # one worker may have run them all


def _runner_warm_up_with_a_broken_export():
    """In the worker: the runner's warm-up, with the HTML export it warms broken."""
    from myositis import report_html

    def broken():
        raise RuntimeError("template missing")

    report_html.warm = broken
    runner.warm_worker()


def _double(run):
    return run * 2


def test_a_failing_warm_up_does_not_break_the_batch():
    """The runner's warm-up is an optimisation: when it fails, the pool still runs every run (an initializer that
    raises breaks the pool, and every run of the batch would be reported as a crashed worker)."""
    results = [res for _, res in executors.LocalPool(2, warm=_runner_warm_up_with_a_broken_export)
               .run([1, 2, 3], _double)]
    assert sorted(results) == [2, 4, 6]
