"""Kernels forked from the batch's kernel server (myositis.kernel_fork) against kernels jupyter_client starts."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import signal
import sys
import time

import nbformat
import papermill
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from myositis import kernel_fork, paths, runner

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel server forks (Linux)")

FACTS = r"""
import gc, importlib, json, os, random, sys
preloaded = "myositis.survival" in sys.modules  # imported by no kernel at its start
for name in PRELOAD:  # as a notebook importing them would: their imports set variables (statsmodels, pandera)
    importlib.import_module(name)
import numpy as np
import matplotlib
import matplotlib.pyplot as plt
from ipykernel.kernelapp import IPKernelApp
app = IPKernelApp.instance()
facts = {
    "preloaded": preloaded,
    "cwd": os.getcwd(), "argv": sys.argv, "path": sys.path, "env": dict(os.environ),
    "orig_argv": sys.orig_argv[:-1], "flags": repr(sys.flags), "xoptions": sys._xoptions,
    "main": getattr(sys.modules["__main__"], "__file__", None), "backend": matplotlib.get_backend(),
    "parent_handle": app.parent_handle, "poller": type(app.poller).__name__,
    "session_leader": os.getsid(0) == os.getpid(), "group_leader": os.getpgid(0) == os.getpid(),
    "random": random.random(), "numpy_random": float(np.random.random()),
    "gc_enabled": gc.isenabled(), "gc_threshold": gc.get_threshold(), "gc_frozen": gc.get_freeze_count(),
}
plt.plot([0, 1], [0, 1])
print(json.dumps(facts))
"""


def _prefix():
    return kernel_fork.kernel_prefix(KernelSpecManager().get_kernel_spec(runner.KERNEL).argv)


def _run(tmp_path, name: str, fork: str | None) -> tuple[dict, list]:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": runner.KERNEL, "display_name": "myositis", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(f"PRELOAD = {list(kernel_fork.PRELOAD)!r}\n{FACTS}")]
    src, out = tmp_path / f"{name}_in.ipynb", tmp_path / f"{name}.ipynb"
    nbformat.write(nb, src)
    extra = {"kernel_manager_class": kernel_fork.kernel_manager_class(fork)} if fork else {}
    papermill.execute_notebook(str(src), str(out), kernel_name=runner.KERNEL, cwd=str(tmp_path),
                               progress_bar=False, **extra)
    outputs = nbformat.read(out, 4).cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    return json.loads(text.strip().splitlines()[-1]), [o.get("output_type") for o in outputs]


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kernels")
    plain = _run(tmp, "plain", fork=None)
    with kernel_fork.server(_prefix()) as address:
        assert address and os.path.exists(address)
        forked = [_run(tmp, f"fork{i}", fork=address) for i in range(2)]
    assert not os.path.exists(address)
    return plain, forked


def test_a_forked_kernel_is_what_jupyter_client_would_have_started(kernels):
    (plain, plain_outputs), [(fork, fork_outputs), _] = kernels
    plain, fork = dict(plain), dict(fork)
    assert fork.pop("preloaded") and not plain.pop("preloaded"), "the kernel was not forked from the server"
    env_diff = {k: (plain["env"].get(k), fork["env"].get(k)) for k in set(plain["env"]) | set(fork["env"])
                if plain["env"].get(k) != fork["env"].get(k)}
    assert not env_diff
    for key in ("random", "numpy_random"):
        plain.pop(key), fork.pop(key)
    # the server's objects are in the collector's permanent generation (kernel_fork._freeze), a started kernel's
    # are not; collection itself is on in both
    assert plain.pop("gc_frozen") == 0 and fork.pop("gc_frozen") > 100_000
    # the connection file is the only argument that differs
    plain["argv"], fork["argv"] = plain["argv"][:-1], fork["argv"][:-1]
    assert fork == plain
    assert fork_outputs == plain_outputs and "display_data" in fork_outputs  # the inline backend shows figures


def test_forked_kernels_do_not_share_random_states(kernels):
    _, [(a, _), (b, _)] = kernels
    assert a["random"] != b["random"]
    assert a["numpy_random"] != b["numpy_random"]


def test_a_command_or_environment_the_server_did_not_import_under_is_executed_not_forked(tmp_path):
    prefix = _prefix()
    cmd = [*prefix, "-m", "ipykernel_launcher", "-f", str(tmp_path / "k.json")]
    with kernel_fork.server(prefix) as address:
        same = kernel_fork.launch(address, cmd, dict(os.environ, JPY_PARENT_PID="1"), str(tmp_path))
        other_env = kernel_fork.launch(address, cmd, dict(os.environ, MYOSITIS_TEST_ONLY="1"), str(tmp_path))
        other_cmd = kernel_fork.launch(address, [sys.executable, "-c", "import sys; sys.exit(3)"],
                                       dict(os.environ), str(tmp_path))
        assert (same.forked, other_env.forked, other_cmd.forked) == (True, False, False), same.why
        assert other_env.why == "environment differs from the server's in MYOSITIS_TEST_ONLY"
        assert other_cmd.why.startswith("command ")
        assert other_cmd.wait(30) == 3  # executed as given, exit code kept by the server
        for k in (same, other_env):
            assert k.poll() is None
            k.send_signal(signal.SIGTERM)
            assert k.wait(30) in (-signal.SIGTERM, 1, 0)


def test_the_server_kills_its_kernels_when_the_batch_ends(tmp_path):
    prefix = _prefix()
    with kernel_fork.server(prefix) as address:
        k = kernel_fork.launch(address, [*prefix, "-m", "ipykernel_launcher", "-f", str(tmp_path / "k.json")],
                               dict(os.environ), str(tmp_path))
        assert k.forked and k.poll() is None, k.why
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(k.pid, 0)


def test_without_a_server_the_kernel_is_started_the_usual_way(tmp_path):
    (tmp_path / "no-server.sock").write_text("")  # a path that exists, where nothing listens
    facts, _ = _run(tmp_path, "fallback", fork=str(tmp_path / "no-server.sock"))
    assert not facts["preloaded"] and facts["parent_handle"] == os.getpid()


@pytest.mark.parametrize("value, platform, expected", [
    ("", "linux", True), ("0", "linux", False), ("off", "linux", False), ("", "darwin", False),
    ("1", "darwin", True)])
def test_enabled_on_linux_by_default_and_by_choice_elsewhere(monkeypatch, value, platform, expected):
    monkeypatch.setenv(kernel_fork.SWITCH_VAR, value)
    monkeypatch.setattr(sys, "platform", platform)
    assert kernel_fork.enabled() is expected


def test_kernel_prefix():
    assert kernel_fork.kernel_prefix(["/py", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{c}"]) \
        == ["/py", "-Xfrozen_modules=off"]
    assert kernel_fork.kernel_prefix(["/py", "-m", "other", "-f", "{c}"]) is None


def _notebook_imports() -> set[str]:
    found = set()
    for path in paths.NOTEBOOKS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    found.add(sub if _is_package(node.module) and importlib.util.find_spec(sub) else node.module)
    return found


def _is_package(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


def test_the_server_preloads_every_module_a_notebook_imports():
    """Speed, not correctness: a module missing from PRELOAD is imported by each kernel again (seconds a run)."""
    missing = sorted(_notebook_imports() - set(kernel_fork.PRELOAD))
    assert not missing, f"add to kernel_fork.PRELOAD: {missing}"


def test_a_dask_scheduler_uses_the_kernel_server_only_on_this_machine():
    from myositis import executors

    assert executors.on_this_machine(executors.Dask("tcp://127.0.0.1:8786"))
    assert executors.on_this_machine(executors.Dask("localhost:8786"))
    assert not executors.on_this_machine(executors.Dask("tcp://hpc-login.example.org:8786"))
    assert not executors.on_this_machine(executors.LocalPool(2))


def test_a_client_that_sends_nothing_does_not_stop_the_server(tmp_path):
    import socket

    with kernel_fork.server(_prefix(), preload=()) as address:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(address)
            s.sendall(b'{"op": "spawn", "argv": [')  # cut short, then gone
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(address)
            s.sendall(b"not json\n")
            assert b"error" in s.recv(1000)
        k = kernel_fork.launch(address, [sys.executable, "-c", "pass"], dict(os.environ), str(tmp_path))
        assert k.wait(30) == 0


def _with_kernel(coro_fn):
    """Run ``coro_fn(km, kc)`` with a kernel started by :func:`kernel_fork.kernel_manager_class` (no server)."""
    import asyncio

    async def main():
        km = kernel_fork.kernel_manager_class(None)(kernel_name=runner.KERNEL)
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            return await coro_fn(km, kc)
        finally:
            kc.stop_channels()
            if km.has_kernel:
                await km.shutdown_kernel(now=True)

    return asyncio.run(main())


def test_ready_leaves_no_message_of_the_readiness_request_behind():
    """The client returns at the idle status of its kernel_info request (not after 0.2 s of silence): what IOPub
    carries next belongs to the next request, as after jupyter_client's flush."""
    async def go(km, kc):
        await kc.wait_for_ready(timeout=60)
        msg_id = kc.execute("print(1)")
        parents = []
        while True:
            msg = await kc.get_iopub_msg(timeout=30)
            parents.append(msg["parent_header"].get("msg_id"))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle" \
                    and msg["parent_header"].get("msg_id") == msg_id:
                return type(kc).__name__, parents

    name, parents = _with_kernel(go)
    assert name == "ReadyClient"
    assert parents and set(parents) == {parents[-1]}, parents  # busy, execute_input, stream, idle: all the cell's


class _FakeIOPub:
    def __init__(self, messages):
        self.messages = list(messages)

    async def get_msg(self, timeout=None):
        from queue import Empty

        if not self.messages:
            raise Empty
        return self.messages.pop(0)


def _status(state, parent):
    return {"msg_type": "status", "content": {"execution_state": state}, "parent_header": {"msg_id": parent}}


@pytest.mark.parametrize("messages, found, left", [
    ([{"msg_type": "iopub_welcome", "content": {}, "parent_header": {}}, _status("starting", None),
      _status("busy", "k1"), _status("idle", "k1"), _status("busy", "x")], True, 1),
    ([_status("busy", "k0"), _status("idle", "k0")], False, 0),  # an earlier request's idle is not ours
    ([], False, 0),  # IOPub not connected yet: jupyter_client's client sends the request again
])
def test_idle_after_reads_up_to_the_idle_of_the_request(messages, found, left):
    import asyncio

    client = kernel_fork._ready_client()()
    channel = _FakeIOPub(messages)
    client._iopub_channel = channel  # what the iopub_channel property returns once it is set
    assert asyncio.run(client._idle_after("k1", 0.01)) is found
    assert len(channel.messages) == left


def test_no_interrupt_before_the_shutdown_request():
    """jupyter_client sends SIGINT before every shutdown; papermill shuts down right after its last kernel_info
    reply, and the signal then reaches ipykernel inside that request's handler ("KeyboardInterrupt caught in
    kernel" on the batch's terminal). The batch's manager skips it; an interrupt asked for still goes."""
    async def go(km, kc):
        await kc.wait_for_ready(timeout=60)
        sent = []
        original = km._async_signal_kernel

        async def record(signum):
            sent.append(signum)
            await original(signum)

        km._async_signal_kernel = record
        await km.interrupt_kernel()
        asked = list(sent)
        await kc.kernel_info(reply=True, timeout=30)
        await km.shutdown_kernel()
        return asked, sent[len(asked):], km.has_kernel

    asked, at_shutdown, alive = _with_kernel(go)
    assert asked == [signal.SIGINT] and at_shutdown == [] and not alive


def test_the_batch_kernels_messages_are_encrypted():
    """ipykernel warns "Kernel is running over TCP without encryption" for every kernel started without CurveZMQ
    keys; the batch's manager provisions them (the kernelspec declares support) and the kernel uses them."""
    import zmq

    if not zmq.has("curve"):
        pytest.skip("libzmq without CurveZMQ")

    async def go(km, kc):
        await kc.wait_for_ready(timeout=60)
        reply = await kc.execute("from ipykernel.kernelapp import IPKernelApp\n"
                                 "print(IPKernelApp.instance().curve_secretkey is not None)", reply=True, timeout=30)
        out = []
        while True:
            msg = await kc.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") == reply["parent_header"]["msg_id"]:
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return km.get_connection_info(), "".join(out)

    info, printed = _with_kernel(go)
    assert info.get("curve_publickey") and info.get("curve_secretkey")
    assert printed.strip() == "True"


def test_the_socket_path_appears_only_once_the_server_listens(tmp_path, monkeypatch):
    """The runner waits for the socket's path, then launches: a path that existed before listen() was called
    refused that launch (ConnectionRefusedError, seen once under load)."""
    import socket

    address = str(tmp_path / "server.sock")
    seen = []
    listen = socket.socket.listen

    def watched(self, *args):
        seen.append(os.path.exists(address))
        return listen(self, *args)

    monkeypatch.setattr(socket.socket, "listen", watched)
    listener = kernel_fork._listen(address)
    try:
        assert seen == [False] and os.path.exists(address)
        assert not os.path.exists(address + kernel_fork.BINDING)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(address)  # the renamed path reaches the listening socket
    finally:
        listener.close()
