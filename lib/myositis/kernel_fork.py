"""Notebook kernels forked from a server that has already imported the scientific stack (used by the batch).

Every run of the batch still gets a kernel process of its own. What changes is how that process begins: a kernel
started by jupyter_client spends its first seconds starting Python and importing ipykernel, numpy, pandas, scipy,
matplotlib, lifelines, statsmodels and the project's package (about 3 s of CPU here, once per run). Here one
*server* process does those imports once per batch; each kernel is then a fork of it (milliseconds), which goes on
exactly as ``python -m ipykernel_launcher -f CONNECTION_FILE`` would. It is the "forkserver" start method of
Python's :mod:`multiprocessing` (``set_forkserver_preload``) applied to Jupyter kernels, plugged in through
jupyter_client's kernel provisioner (:class:`ForkProvisioner`), so nbclient and papermill are used unchanged.

A forked kernel has, as a kernel started by jupyter_client has: its own process and session (``setsid``, so an
interrupt reaches it alone), the environment (plus the variables the preloaded imports set, as they would have in
the kernel: statsmodels and pandera set three), working directory, ``sys.argv`` and ``sys.path`` of
``python -m ipykernel_launcher``, and fresh seeds for Python's and numpy's global random generators (tested
against a started kernel). Its standard input is ``/dev/null`` (a started kernel's is a pipe nobody writes to;
a notebook's ``input()`` goes through the kernel's stdin channel either way). It shares with the server only the
modules the server imported, in the state their import left them (no notebook code ran in the server), and
Python's string-hash seed of this batch; those modules' objects sit in the garbage collector's permanent generation
(:func:`_freeze`). The server forks a kernel only when the launch command is the project kernel's (the server's own
interpreter and flags, ``-m ipykernel_launcher -f FILE``) and the kernel's environment equals the one the server
imported under, apart from the variables jupyter_client sets for each kernel (:data:`PER_KERNEL`); for any other
command or environment the forked child *executes* the command as given, which is a normal kernel. If the server
cannot be reached, the provisioner launches the kernel the normal way (jupyter_client's ``LocalProvisioner``).

The server listens on a Unix socket in a temporary folder only its user can open (``mkdtemp``).
``MYOSITIS_FORK_KERNELS=0`` turns it off for a batch (the runner then starts no server); it is on by default on
Linux only (:func:`enabled`). A forked kernel's parent is the server, not the runner's worker: ipykernel's check
that its parent is alive then watches the server, which kills its remaining kernels when the batch ends.

Reference: Python documentation, multiprocessing, "Contexts and start methods" (forkserver); jupyter_client,
"Kernel provisioning" (https://jupyter-client.readthedocs.io/en/stable/provisioning.html).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The environment this process started with, before a third-party import could change it (the server compares a
#: kernel's environment with it; tornado's import, for one, sets COLUMNS and LINES through curses when stderr is a
#: terminal)
_START_ENV = dict(os.environ)

from jupyter_client.provisioning import LocalProvisioner  # noqa: E402

#: ``MYOSITIS_FORK_KERNELS=0`` starts no server: every kernel is started by jupyter_client.
SWITCH_VAR = "MYOSITIS_FORK_KERNELS"
#: Variables that may differ between the server's environment and a forked kernel's: those jupyter_client sets for
#: each kernel it launches, and pytest's name of the test phase (it changes between a fixture and its test).
#: None of them is read by a preloaded module when it is imported.
PER_KERNEL = frozenset({"JPY_PARENT_PID", "JPY_SESSION_NAME", "JPY_INTERRUPT_EVENT", "IPY_INTERRUPT_EVENT",
                        "PYTEST_CURRENT_TEST"})
#: What ipykernel sets before any notebook code runs when MPLBACKEND is unset (ipykernel.kernelapp); the server sets
#: it while it imports, so that matplotlib reads the backend a kernel would give it.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Modules imported once by the server: ipykernel's kernel and shell and the modules the notebooks import
#: (tests/test_kernel_fork.py checks that every module a notebook imports is here). A module that fails to import
#: is left to the kernel. Not ``ipykernel.kernelapp``: its class attributes read ``JPY_PARENT_PID`` at import, a
#: per-kernel variable (imported by the kernel itself, it costs 6 ms once the rest is loaded); nor
#: ``matplotlib_inline.backend_inline``, whose import hooks the figure display into the kernel's shell. Nothing a
#: notebook does not import either: seaborn, lifelines, pingouin and statsmodels.api (in none of the kernels'
#: ``sys.modules`` after a run of each params file) were 0.29 s of the server's 1.8 s.
PRELOAD = (
    "ipykernel.ipkernel", "ipykernel.zmqshell", "IPython.display",
    # what every kernel's start-up imports besides ipykernel.kernelapp (its debugger, channels, parent poller)
    "ipykernel.debugger", "ipykernel.control", "ipykernel.heartbeat", "ipykernel.parentpoller",
    "ipykernel.shellchannel", "IPython.core.application", "IPython.core.shellapp", "IPython.core.completerlib",
    "psutil", "sqlite3",
    "numpy", "pandas", "scipy.stats", "scipy.optimize", "matplotlib", "matplotlib.pyplot", "tableone",
    "great_tables", "docx", "yaml",
    "myositis.io", "myositis.paths", "myositis.provenance", "myositis.published", "myositis.tables",
    "myositis.manuscript", "myositis.results", "myositis.survival", "myositis.survival.comparison",
    "myositis.survival.single_arm", "myositis.survival.text", "myositis.mi2", "myositis.mi2_report",
    "myositis.validation", "myositis.reporting", "myositis.sam", "myositis.sam_report", "myositis.scores",
    "myositis.figures.style", "myositis.figures.km", "myositis.figures.mi2", "myositis.figures.sam",
    "myositis.mi2.mixedlm",
    # imported by the notebooks' functions when they first run (measured in a forked kernel): figure files,
    # font subsets of the PDFs, Excel exports
    "matplotlib.backends.backend_agg", "matplotlib.backends.backend_pdf", "matplotlib.backends.backend_svg",
    "PIL.Image", "PIL.PngImagePlugin", "fontTools.subset", "fontTools.cffLib", "openpyxl",
)
LAUNCHER = ["-m", "ipykernel_launcher", "-f"]
IOPUB_WAIT = 0.2  # seconds a kernel's first IOPub message may take after its kernel_info reply (as jupyter_client)
SHUTDOWN_POLL = 0.01  # seconds between checks that a kernel asked to shut down has exited (jupyter_client: 0.1)
BINDING = ".binding"  # suffix of the server's socket path until it listens (:func:`_listen`)
CONNECT_TIMEOUT = 120.0  # seconds a launch waits for the server (its imports take a few seconds)


class ServerError(RuntimeError):
    """The kernel server did not answer as expected (the kernel is then launched the normal way)."""


def enabled() -> bool:
    """On by default on Linux; elsewhere only with ``MYOSITIS_FORK_KERNELS=1`` (macOS frameworks are not safe to use
    in a forked child, which is why Python's multiprocessing spawns there; Windows has no fork)."""
    value = os.environ.get(SWITCH_VAR, "").strip().lower()
    if not hasattr(os, "fork") or value in {"0", "false", "no", "off"}:
        return False
    return value in {"1", "true", "yes", "on"} or sys.platform.startswith("linux")


def _read_line(sock: socket.socket) -> bytes | None:
    """One message of the protocol (a JSON object on one line), or None when the other side closed first."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1 << 16)
        if not chunk:
            return None
        data += chunk
    return data


# ----------------------------------------------------------------------------------------------------- client side
def _request(address: str, message: dict, timeout: float = CONNECT_TIMEOUT) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(address)
        s.sendall(json.dumps(message).encode() + b"\n")
        data = _read_line(s)
    if data is None:
        raise ServerError(f"kernel server closed the connection (request {message.get('op')!r})")
    reply = json.loads(data)
    if "error" in reply:
        raise ServerError(reply["error"])
    return reply


class ForkedKernel:
    """The part of :class:`subprocess.Popen` that jupyter_client's ``LocalProvisioner`` uses, for a kernel that is
    a child of the server (which reaps it and keeps its exit code)."""

    stdin = stdout = stderr = None

    def __init__(self, address: str, pid: int, forked: bool, why: str = ""):
        self.address, self.pid, self.forked, self.why = address, pid, forked, why
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = _request(self.address, {"op": "status", "pid": self.pid}, 10.0)["returncode"]
            except (OSError, ServerError, ValueError):  # server gone: its children were killed with it
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired([f"kernel {self.pid}"], timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def launch(address: str, cmd: list[str], env: dict | None = None, cwd: str | None = None) -> ForkedKernel:
    """Ask the server at ``address`` for a kernel running ``cmd`` (forked when it can, else executed)."""
    env = dict(os.environ if env is None else env)
    reply = _request(address, {"op": "spawn", "argv": [str(c) for c in cmd], "env": env,
                               "cwd": str(cwd or os.getcwd())})
    return ForkedKernel(address, int(reply["pid"]), bool(reply["forked"]), str(reply.get("why", "")))


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, whose kernel process comes from the server its kernel manager names
    (``server_address``) when that server exists on this machine and answers."""

    async def launch_kernel(self, cmd, **kwargs):
        address = getattr(self.parent, "server_address", None)
        if address and os.path.exists(address):
            # what jupyter_client's launcher adds on POSIX before Popen (a new session is the server's setsid)
            env = dict(os.environ if kwargs.get("env") is None else kwargs["env"])
            if not kwargs.get("independent"):
                env["JPY_PARENT_PID"] = str(os.getpid())
            try:
                process = await asyncio.to_thread(launch, address, [os.path.expanduser(c) for c in cmd], env,
                                                  kwargs.get("cwd"))
            except (OSError, ServerError, ValueError) as exc:
                self.log.warning("kernel server %s unavailable (%s): starting the kernel the usual way", address, exc)
            else:
                if not process.forked:
                    self.log.info("kernel %s executed, not forked: %s", process.pid, process.why)
                self.process, self.pid, self.pgid = process, process.pid, process.pid  # setsid: its own group
                self.cwd = kwargs.get("cwd", Path.cwd())
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)


def _ready_client():
    """jupyter_client's asynchronous client, whose ``wait_for_ready`` returns as soon as the kernel has answered a
    ``kernel_info_request`` and published the *idle* status of that request on IOPub, instead of then waiting 0.2 s
    of silence on IOPub (jupyter_client's flush, idle time on every kernel start of the batch).

    The kernel publishes *busy*, then *idle*, on IOPub around every request it handles (Jupyter messaging protocol,
    "Kernel status"), so that idle is the last message the request causes; what came before it (the kernel's
    *starting* status, ipykernel's IOPub welcome) is read and dropped, as the flush dropped it. As in
    jupyter_client, a reply without that IOPub message within 0.2 s means IOPub is not connected yet: the request
    is sent again. Whatever the kernel publishes later has another parent, and nbclient ignores messages whose
    parent is not the cell it executes."""
    from jupyter_client.asynchronous import AsyncKernelClient

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            from queue import Empty

            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == "kernel_info_reply" \
                        and await self._idle_after(reply["parent_header"].get("msg_id"), IOPUB_WAIT):
                    self._handle_kernel_info_reply(reply)
                    return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

        async def _idle_after(self, msg_id: str | None, wait: float) -> bool:
            """Read IOPub until the idle status of request ``msg_id`` (True), or ``wait`` seconds without a
            message (False)."""
            from queue import Empty

            while True:
                try:
                    msg = await self.iopub_channel.get_msg(timeout=wait)
                except Empty:
                    return False
                if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle" \
                        and msg["parent_header"].get("msg_id") == msg_id:
                    return True

    return ReadyClient


def kernel_manager_class(address: str | None):
    """An ``AsyncKernelManager`` whose kernels come from the server at ``address`` (for ``nbclient``/papermill's
    ``kernel_manager_class``), and whose client waits for a kernel's readiness without idle time
    (:func:`_ready_client`). With ``address`` None, or a server that does not exist, its kernels are started
    by jupyter_client as usual."""
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    client = _ready_client()

    class ForkKernelManager(AsyncKernelManager):
        server_address = address

        @default("client_factory")
        def _client_factory_default(self):
            return client

        @default("transport_encryption")
        def _transport_encryption_default(self):
            # CurveZMQ keys provisioned by the manager when the kernelspec declares support (ipykernel's does):
            # the kernel's messages, outputs included, are encrypted on the loopback interface, and ipykernel no
            # longer warns "Kernel is running over TCP without encryption" once per run
            import zmq

            return "auto" if zmq.has("curve") else "disabled"

        async def _async_finish_shutdown(self, waittime=None, pollinterval=SHUTDOWN_POLL, restart=False):
            # jupyter_client checks every 0.1 s whether the kernel has exited after its shutdown request; each
            # check here is one request to the server (microseconds), so the worker goes on to its next run about
            # 0.1 s sooner. Same graceful shutdown, same timeouts.
            return await super()._async_finish_shutdown(waittime, pollinterval, restart)

        async def _async_interrupt_kernel(self):
            # jupyter_client interrupts the kernel (SIGINT) before every shutdown request, to stop a busy one.
            # papermill asks for the shutdown as soon as the reply to its last kernel_info request arrives, while
            # ipykernel may still be finishing that request: the SIGINT then lands in its message handler, which
            # prints "KeyboardInterrupt caught in kernel" on the batch's terminal. A kernel that is not busy needs
            # no interrupt, and a busy one still stops: ipykernel handles the shutdown request on its control
            # thread, and jupyter_client sends SIGTERM, then SIGKILL, when the kernel outlives its wait. Interrupts
            # asked for outside a shutdown (``interrupt_kernel``, nbclient's on a cell timeout) are unchanged.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

        async def _async_pre_start_kernel(self, **kw):
            if self.provisioner is None:
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                   parent=self)
            return await super()._async_pre_start_kernel(**kw)

    return ForkKernelManager


@contextlib.contextmanager
def server(prefix: list[str], preload=PRELOAD):
    """Run a kernel server for the duration of the block; yields its address (a Unix socket), or None when the
    server could not start (kernels are then started the usual way).

    ``prefix`` is the kernel command up to ``-m ipykernel_launcher`` (interpreter and its flags): the server runs
    with the same, so that a forked kernel is what that command would have started.
    """
    folder = tempfile.mkdtemp(prefix="myositis-kernels-")
    address = os.path.join(folder, "server.sock")
    # env given explicitly, as jupyter_client gives a kernel's: without it the server would inherit the C-level
    # environment, which a library may have changed behind os.environ (ncurses sets COLUMNS and LINES)
    proc = subprocess.Popen([*prefix, "-m", "myositis.kernel_fork", address, *preload], stdin=subprocess.DEVNULL,
                            cwd=folder, env=dict(os.environ))
    try:
        deadline = time.monotonic() + CONNECT_TIMEOUT
        # the socket is bound before the imports (a launch then waits in its backlog): wait for that bind only
        while not os.path.exists(address) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        yield address if os.path.exists(address) else None
    finally:
        with contextlib.suppress(OSError, ServerError, ValueError):
            _request(address, {"op": "stop"}, 10.0)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for path in (address, address + BINDING):
            with contextlib.suppress(OSError):
                os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def kernel_prefix(argv: list[str]) -> list[str] | None:
    """The interpreter and flags of a kernelspec's ``argv`` (before ``-m ipykernel_launcher -f {connection_file}``),
    or None when the kernel is not started that way."""
    n = len(LAUNCHER) + 1
    if len(argv) > n and list(argv[-n:-1]) == LAUNCHER:
        return list(argv[:-n])
    return None


# ----------------------------------------------------------------------------------------------------- server side
class _Server:
    def __init__(self, address: str, preload):
        self.env = _START_ENV  # what the preloaded modules were imported under (MPLBACKEND apart)
        self.prefix = [sys.executable, *_interpreter_flags()]
        # the kernel's sys.path: ours without our first entry (our working directory, as ipykernel_launcher
        # removes the kernel's)
        self.path = list(sys.path[1:])
        # listening before the imports: early launches wait in the backlog, not fail
        self.listener = _listen(address)
        added = "MPLBACKEND" not in os.environ
        if added:
            os.environ["MPLBACKEND"] = INLINE_BACKEND
        gc.disable()  # the imports make long-lived objects only: collecting during them is wasted (about 15 %)
        for name in preload:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the kernel will import it itself (and report the error)
                pass
        if added:
            del os.environ["MPLBACKEND"]
        _freeze()
        # what the imports did to the environment: a kernel importing them itself would have done the same
        self.env_set = {k: v for k, v in os.environ.items() if self.env.get(k) != v}
        self.env_unset = sorted(set(self.env) - set(os.environ))
        self.children: dict[int, int | None] = {}
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(self.wake_r, selectors.EVENT_READ)
        self.running = True

    def unforkable(self, argv: list[str], env: dict) -> str:
        """Why the kernel cannot be forked ("" when it can)."""
        if argv[:-1] != [*self.prefix, *LAUNCHER]:
            return f"command {argv[:-1]} is not {[*self.prefix, *LAUNCHER]}"
        keys = sorted(k for k in (set(env) | set(self.env)) - PER_KERNEL if env.get(k) != self.env.get(k))
        return f"environment differs from the server's in {', '.join(keys)}" if keys else ""

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.children[pid] = os.waitstatus_to_exitcode(status)

    def serve(self) -> None:
        while self.running:
            for key, _ in self.selector.select(timeout=1.0):
                if key.fileobj is self.listener:
                    conn, _ = self.listener.accept()
                    with conn:
                        try:
                            self.handle(conn)
                        except OSError:  # a client that went away or sent nothing within the timeout
                            pass
                else:
                    with contextlib.suppress(BlockingIOError):
                        while os.read(self.wake_r, 512):
                            pass
            self.reap()
        self.stop()

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(10.0)
        data = _read_line(conn)
        if data is None:
            return
        try:
            msg = json.loads(data)
            op = msg["op"]
            if op == "spawn":
                reply = self.spawn(conn, list(msg["argv"]), dict(msg["env"]), str(msg["cwd"]))
            elif op == "status":
                self.reap()
                reply = {"returncode": self.children.get(int(msg["pid"]))}
            elif op == "stop":
                self.running = False
                reply = {"stopped": True}
            else:
                reply = {"error": f"unknown request {op!r}"}
        except Exception as exc:  # noqa: BLE001 - answered to the client, which then launches normally
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        conn.sendall(json.dumps(reply).encode() + b"\n")

    def spawn(self, conn, argv, env, cwd) -> dict:
        why = self.unforkable(argv, env)
        forked = not why
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the kernel
            code = 1
            try:
                os.close(ready_r)
                conn.close()
                self.selector.close()
                self.listener.close()
                signal.set_wakeup_fd(-1)
                os.close(self.wake_r)
                os.close(self.wake_w)
                for sig in (signal.SIGCHLD, signal.SIGTERM):
                    signal.signal(sig, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                os.setsid()
                os.write(ready_w, b"1")
                os.close(ready_w)
                if forked:
                    env = {k: v for k, v in {**env, **self.env_set}.items() if k not in self.env_unset}
                code = _become_kernel(argv, env, cwd, self.path if forked else None)
            except BaseException:  # noqa: BLE001 - the kernel's own failure, reported on its stderr
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(ready_w)
        os.read(ready_r, 1)  # the child is in its own session: signals to its group reach it alone
        os.close(ready_r)
        self.children[pid] = None
        return {"pid": pid, "forked": forked, "why": why}

    def stop(self) -> None:
        self.running = False
        for pid, code in list(self.children.items()):
            if code is None:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while any(c is None for c in self.children.values()) and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.01)


def _listen(address: str) -> socket.socket:
    """A Unix socket listening at ``address``, which appears only once it listens. The runner (and a launch) take
    the path's existence as the server's readiness: a socket bound at ``address`` itself exists a moment before it
    listens, and a connection in that moment is refused (seen once in a fresh-clone test run, on a loaded machine).
    So it is bound under another name and renamed, atomically, once listening."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address + BINDING)
    listener.listen(64)
    os.rename(address + BINDING, address)
    return listener


def _freeze() -> None:
    """Collect the imports' garbage, then move every object left into the collector's permanent generation
    (:func:`gc.freeze`) and turn collection back on, as Python's documentation advises before ``fork()`` without
    ``exec()``. A forked kernel's collections then skip the server's objects (the modules, which live as long as the
    kernel anyway) instead of walking them all, and so stop writing to their pages: without the freeze, each kernel
    copied most of the server's memory page by page and answered its first request 0.3-0.7 s after the fork instead
    of 0.13-0.19 s (measured here), and a graceful shutdown took 0.17-0.28 s instead of 0.04-0.06 s."""
    gc.collect()
    gc.freeze()
    gc.enable()


def _interpreter_flags() -> list[str]:
    """The command-line flags this interpreter was started with (before ``-m``), as in ``sys.orig_argv``."""
    argv = list(sys.orig_argv)
    return argv[1:argv.index("-m")] if "-m" in argv else argv[1:]


def _become_kernel(argv: list[str], env: dict, cwd: str, path: list[str] | None) -> int:
    """In the forked child: go on as ``argv`` would (as ipykernel_launcher when ``path`` is given, else by
    executing ``argv``); returns the exit code."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(cwd)
    if path is None:
        os.execve(argv[0], argv, env)
    os.environ.clear()
    os.environ.update(env)
    sys.orig_argv[:] = argv
    sys.argv[:] = ["ipykernel_launcher", *argv[-2:]]
    sys.path[:] = path
    if "numpy" in sys.modules:  # a new process would seed numpy's global generator from the OS
        sys.modules["numpy"].random.seed()
    import atexit
    import runpy

    code = 0
    try:
        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code


def main(argv: list[str]) -> None:
    address, *preload = argv
    srv = _Server(address, preload)
    try:
        srv.serve()
    finally:
        with contextlib.suppress(OSError):
            srv.listener.close()


if __name__ == "__main__":
    main(sys.argv[1:])
    # the batch waits for this process to end: skip tearing down the imported modules (60 ms); nothing is left
    # to clean (kernels reaped or killed, socket closed; the runner removes its folder)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)
