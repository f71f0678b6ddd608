"""``python run.py simulate MODEL_FILE``: run a model document headless (no server, no database) for CI.

Writes ``DIR/telemetry.csv`` (one row per recorded tick: ``time`` then one column per ``component.port``;
floats in Python ``repr`` so they read back exactly, bools as 1/0), ``DIR/summary.json`` and ``DIR/events.csv``
(the run's event log, app/cli/_run_events.py).
Exit codes: 0 done, 1 the run failed part-way, 2 bad arguments / unreadable or invalid model,
3 the PLC could not be put in the loop (``--hil``: endpoint unreachable, bad bindings, every problem listed) or
the ``--opcua-server`` port cannot be served, 4 ``--fail-on-degraded``: the run completed but was degraded
(a PLC lost for a while, stale or bad samples, dropped writes),
130 interrupted (Ctrl-C), 143 stopped by SIGTERM (what CI timeouts send; status ``aborted``); on 1, 130 and 143
the files hold what was simulated until then.

``--hil`` runs paced to the wall clock with the document's endpoints and bindings (an endpoint's password may
come from the document or from ``DTWIN_PASSWORD_<ENDPOINT NAME>``); ``--opcua-server PORT`` serves the twin.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, Iterator, TextIO

from app.cli._progress import ProgressBar
from app.cli._provenance import git_revision
from app.cli._run_events import RunEvents
from app.engine import (
    ENGINE_VERSION,
    ModelDocument,
    PortIO,
    PortIOError,
    Recording,
    RunError,
    SimulationError,
    Simulator,
    WallClock,
    read_document_file,
)
from app.engine._hints import hint
from app.engine.clock import MAX_TIME_SCALE, MIN_TIME_SCALE, Clock, FastClock

if TYPE_CHECKING:
    from app.engine.hil.runner import TwinLink

DEFAULT_DURATION = 10.0
EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_IO_UNAVAILABLE = 3
EXIT_TERMINATED = 128 + signal.SIGTERM
EXIT_DEGRADED = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Run a model document (JSON or YAML) without a server or database and write\n"
        "DIR/telemetry.csv, DIR/summary.json and DIR/events.csv.\n\n"
        "telemetry.csv: header 'time,<component.port>,...', one row per recorded tick; floats are\n"
        "written with Python repr (exact round-trip), ints as integers, bools as 1/0.\n"
        "The same file, --seed, --dt and --duration give a byte-identical telemetry.csv.\n\n"
        "exit codes: 0 done; 1 the run failed part-way; 2 bad arguments or an unreadable/invalid\n"
        "model (every problem is listed with its location); 3 --hil: the PLC could not be put in\n"
        "the loop (endpoint unreachable or bad bindings, every problem listed) or the --opcua-server\n"
        "port cannot be served; 4 --fail-on-degraded and the run was degraded (a PLC lost for a\n"
        "while, stale or bad samples, dropped writes); 130 interrupted by Ctrl-C;\n"
        "143 stopped by SIGTERM (status aborted).\n"
        "On 1, 130 and 143 the files are still written with what was simulated.\n\n"
        "--hil: the model document's endpoints and bindings connect the twin to OPC UA servers (PLCs);\n"
        "an endpoint's password is taken from DTWIN_PASSWORD_<NAME> when set (NAME upper-cased, other\n"
        "characters than A-Z0-9 as _, e.g. plc-1 -> DTWIN_PASSWORD_PLC_1), else from the document."
    )
    parser.add_argument("model_file", metavar="MODEL_FILE", help="model document (.json, .yaml or .yml)")
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION,
        metavar="S",
        help=f"simulated seconds (default {DEFAULT_DURATION:g})",
    )
    parser.add_argument("--dt", type=float, default=None, metavar="S", help="step in seconds (default: the model's dt)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of every noise source (default 0)")
    parser.add_argument(
        "--realtime", action="store_true", help="pace ticks to the wall clock instead of running as fast as possible"
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        metavar="X",
        help=f"simulated seconds per wall second when paced, {MIN_TIME_SCALE:g}..{MAX_TIME_SCALE:g} "
        "(default 1.0; implies --realtime)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output directory, created if missing; one that holds an earlier run's results is refused without "
        "--force (default: a new folder out/<model file name>/<date-time>)",
    )
    parser.add_argument("--force", action="store_true", help="replace the results already in --out DIR")
    parser.add_argument(
        "--record",
        default=None,
        metavar="PORT_PATTERNS",
        help="comma-separated glob patterns of ports to record, e.g. 'tank.*,heater.temperature' (default: every port)",
    )
    parser.add_argument(
        "--record-every", type=int, default=1, metavar="K", help="record one row every K ticks (default 1)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no closing summary line")
    parser.add_argument(
        "--hil",
        action="store_true",
        help="hardware in the loop: read/write the document's bindings on its OPC UA endpoints every tick "
        "(implies --realtime)",
    )
    parser.add_argument(
        "--opcua-server",
        type=int,
        default=None,
        metavar="PORT",
        help="serve every port as an OPC UA variable on opc.tcp://127.0.0.1:PORT, node ids <component>.<port> in "
        "namespace urn:dtwin:twin; client writes to inputs force them (implies --realtime)",
    )
    parser.add_argument(
        "--endpoint",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="--hil: connect the document's endpoint NAME to URL for this run (e.g. plc=opc.tcp://10.0.0.7:4840), "
        "leaving the file as it is; repeat for several endpoints",
    )
    parser.add_argument(
        "--on-disconnect",
        choices=("continue", "stop"),
        default="continue",
        help="--hil: on a lost PLC keep ticking on held values and reconnect (default), or stop the run",
    )
    parser.add_argument(
        "--fail-on-degraded",
        action="store_true",
        help="exit 4 when the run completed but was degraded: a PLC lost for a while, stale or bad read samples "
        "(telemetry column <port>:quality), dropped writes (for CI)",
    )
    parser.add_argument(
        "--replay",
        default=None,
        metavar="TRACE",
        help="feed a trace recorded by a --hil run (DIR/trace.csv) into the read-bound ports instead of a PLC",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="--hil: the folder whose pki/ holds the OPC UA client certificate and the trusted and rejected PLC "
        "certificates (default: DATA_DIR from the environment or .env, as for the server: ./data)",
    )
    parser.add_argument(
        "--trust-new-certificates",
        action="store_true",
        help="--hil: trust a PLC server certificate never seen before and store it in DATA_DIR/pki/trusted/certs "
        "(default: refuse it into pki/rejected/certs; also OPCUA_TRUST_ON_FIRST_USE=true)",
    )


# ------------------------------------------------------------------------------------------ options


@dataclass
class RunOptions:
    """What to run, independent of argparse (so other front ends can reuse ``simulate``)."""

    duration: float = DEFAULT_DURATION
    dt: float | None = None
    seed: int = 0
    realtime: bool = False
    time_scale: float = 1.0
    record: list[str] | None = None  # glob patterns; None = every port
    record_every: int = 1


def options_from_args(args: argparse.Namespace) -> tuple[RunOptions, list[str]]:
    """The run options and every problem with the arguments (all at once)."""
    problems: list[str] = []
    if not (math.isfinite(args.duration) and args.duration > 0):
        problems.append(f"--duration: must be a number of seconds > 0, got {args.duration!r}")
    if args.dt is not None and not (math.isfinite(args.dt) and 0 < args.dt <= 3600):
        problems.append(f"--dt: must be a number of seconds > 0 and <= 3600, got {args.dt!r}")
    time_scale = 1.0 if args.time_scale is None else args.time_scale
    if not MIN_TIME_SCALE <= time_scale <= MAX_TIME_SCALE:
        problems.append(f"--time-scale: must be within {MIN_TIME_SCALE:g}..{MAX_TIME_SCALE:g}, got {time_scale!r}")
    if args.record_every < 1:
        problems.append(f"--record-every: must be an integer >= 1, got {args.record_every}")
    record = None
    if args.record is not None:
        record = [p.strip() for p in args.record.split(",") if p.strip()]
        if not record:
            problems.append("--record: give at least one port pattern such as 'tank.*' (or leave it out for all)")
    if args.replay and args.hil:
        problems.append("--replay: replaces the PLC, so it cannot be combined with --hil")
    if args.opcua_server is not None and not 1 <= args.opcua_server <= 65535:
        problems.append(f"--opcua-server: must be a TCP port 1..65535, got {args.opcua_server}")
    online = args.hil or args.opcua_server is not None  # a PLC or a client lives in wall-clock time
    options = RunOptions(
        duration=args.duration,
        dt=args.dt,
        seed=args.seed,
        realtime=args.realtime or args.time_scale is not None or online,
        time_scale=time_scale,
        record=record,
        record_every=args.record_every,
    )
    return options, problems


def endpoint_overrides(doc: ModelDocument, overrides: list[str]) -> tuple[ModelDocument, list[str]]:
    """``doc`` with the URLs given as ``--endpoint NAME=URL``, and the problems with those arguments."""
    problems: list[str] = []
    urls: dict[str, str] = {}
    names = [e.name for e in doc.endpoints]
    for text in overrides:
        name, sep, url = text.partition("=")
        name, url = name.strip(), url.strip()
        if not sep or not name:
            problems.append(f"--endpoint {text}: give NAME=URL, e.g. plc=opc.tcp://10.0.0.7:4840")
        elif name not in names:
            known = ", ".join(names) if names else "none"
            problems.append(
                f"--endpoint {text}: the model has no endpoint {name!r}{hint(name, names)} (its endpoints: {known})"
            )
        elif not url.startswith("opc.tcp://"):
            problems.append(f"--endpoint {text}: the URL must be an OPC UA url such as 'opc.tcp://127.0.0.1:4840'")
        elif name in urls and urls[name] != url:
            problems.append(f"--endpoint {text}: endpoint {name!r} is given twice ({urls[name]} and {url})")
        else:
            urls[name] = url
    if problems or not urls:
        return doc, problems
    endpoints = [replace(e, url=urls[e.name]) if e.name in urls else e for e in doc.endpoints]
    return replace(doc, endpoints=endpoints), []


def create_io(args: argparse.Namespace, doc: ModelDocument, dt: float) -> PortIO | None:
    """The run's I/O adapter: with ``--hil`` an OPC UA client on the document's endpoints, recording what the
    PLC delivers to the read bindings; with ``--replay`` such a recording; else None."""
    from app.engine.scenarios import RecordingIO, TraceReplayIO, read_trace

    if args.replay:
        replay = TraceReplayIO(read_trace(args.replay), dt)
        replay.open([b for b in doc.bindings if b.direction == "read"], [])  # a header that does not fit: exit 2
        return replay
    if not args.hil:
        return None
    from app.core.config import get_settings
    from app.engine.hil import OpcUaIO
    from app.engine.hil.runner import with_env_passwords

    settings = get_settings()  # DATA_DIR and OPCUA_TRUST_ON_FIRST_USE as the server reads them: one client identity
    plc = OpcUaIO(
        with_env_passwords(doc.endpoints),
        on_disconnect=args.on_disconnect,
        data_dir=Path(args.data_dir) if args.data_dir else settings.data_dir,
        trust_new_certificates=args.trust_new_certificates or settings.opcua_trust_on_first_use,
    )
    return RecordingIO(plc, dt) if any(b.direction == "read" for b in doc.bindings) else plc


# ------------------------------------------------------------------------------------------ running


@dataclass
class RunOutcome:
    """A finished (or stopped) run and how it ended."""

    sim: Simulator
    clock: Clock
    requested_ticks: int
    status: str = "completed"  # completed | interrupted | failed
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


RESULT_FILES = ("telemetry.csv", "summary.json", "events.csv", "trace.csv")


def output_dir(out: str | None, model_file: str, force: bool) -> tuple[Path, str | None]:
    """Where the results go, and why not if that would silently replace an earlier run's results."""
    if out:
        path = Path(out)
        existing = [name for name in RESULT_FILES if (path / name).exists()]
        if existing and not force:
            return path, (f"--out {path} already holds an earlier run's results ({', '.join(existing)}); "
                          "pass --force to replace them, or choose another --out")
        return path, None
    base = Path("out") / Path(model_file).stem
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = base / stamp, 2
    while path.exists():
        path, n = base / f"{stamp}-{n}", n + 1
    return path, None


def record_problems(port_names: list[str], patterns: list[str]) -> list[str]:
    """One problem per pattern that matches no port (a typo must not silently record less)."""
    problems = []
    for pattern in patterns:
        if not any(fnmatchcase(name, pattern) for name in port_names):
            sample = ", ".join(port_names[:8]) + (", ..." if len(port_names) > 8 else "")
            problems.append(f"--record: pattern {pattern!r} matches no port{hint(pattern, port_names)}; "
                            f"ports look like: {sample}")
    return problems


@dataclass
class StopSignal:
    """The signal that asked the run to stop, if any."""

    signum: int | None = None


@contextmanager
def stop_on_sigint(sim: Simulator) -> Iterator[StopSignal]:
    """While inside, the first Ctrl-C or SIGTERM asks ``sim`` to stop at the next tick boundary (the results are
    still written); a second one aborts."""
    stop = StopSignal()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be installed from the main thread
        return

    def request_stop(signum: int, frame: FrameType | None) -> None:
        sim.stop_requested = True
        stop.signum = stop.signum or signum
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    previous = signal.signal(signal.SIGINT, request_stop)
    previous_term = signal.signal(signal.SIGTERM, request_stop)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)


def simulate(sim: Simulator, options: RunOptions, *, on_tick: Callable[[Simulator], None] | None = None,
             progress_every: int = 0) -> RunOutcome:
    """Run ``sim`` for the options' duration through its I/O adapter (if any); stops early on ``stop_requested``."""
    clock: Clock = WallClock(options.time_scale) if options.realtime else FastClock()
    outcome = RunOutcome(sim, clock, requested_ticks(sim, options))
    sim.open_io()  # PortIOError here means the adapter cannot start: nothing ran yet
    try:
        sim.run(ticks=outcome.requested_ticks, clock=clock, on_tick=on_tick, progress_every=progress_every)
        if sim.stop_requested:
            outcome.status = "interrupted"
    except KeyboardInterrupt:
        outcome.status = "interrupted"
    except RunError as exc:
        outcome.status, outcome.error = "failed", exc.message
    finally:
        sim.close_io()
    return outcome


def requested_ticks(sim: Simulator, options: RunOptions) -> int:
    """Ticks for the requested duration (at least one)."""
    return max(1, round(options.duration / sim.dt))


# ------------------------------------------------------------------------------------------ outputs


def _formatter(data_type: str) -> Callable[[Any], str]:
    if data_type == "bool":
        return lambda v: "1" if v else "0"
    if data_type == "int":
        return lambda v: str(int(v))
    return lambda v: repr(float(v))


def write_telemetry(path: Path, recording: Recording, port_types: dict[str, str]) -> int:
    """Write the recording as CSV; returns the number of rows."""
    formats = [_formatter(port_types.get(p, "int")) for p in recording.ports]  # <port>:quality columns are ints
    rows = min(len(recording.times), len(recording.rows))  # a hard abort may leave a half-appended sample
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("time," + ",".join(recording.ports) + "\n")
        write = fh.write
        for i in range(rows):
            row = recording.rows[i]
            write(repr(recording.times[i]) + "," + ",".join([f(v) for f, v in zip(formats, row)]) + "\n")
    return rows


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf
    return value


def build_summary(
    doc: ModelDocument, model_file: str, options: RunOptions, outcome: RunOutcome, rows: int,
    final_values: dict[str, Any] | None = None, mode: str = "sim",
) -> dict[str, Any]:
    """Everything a CI job needs to compare and trust a run, as a JSON-able dict.

    Its provenance keys (``model_hash``, ``engine_version``, ``mode``, ``seed``, ``dt``, ``duration``, ``realtime``,
    ``record``) mean what they mean in a run record of the API; ``model_git`` adds the file's git commit."""
    sim = outcome.sim
    simulated = sim.tick * sim.dt
    wall = sim.wall_time
    summary: dict[str, Any] = {
        "model": doc.name,
        "model_file": model_file,
        "model_hash": doc.digest(),
        "model_git": git_revision(model_file),
        "engine_version": ENGINE_VERSION,
        "mode": mode,
        "status": outcome.status,
        "error": outcome.error,
        "seed": options.seed,
        "dt": sim.dt,
        "duration": options.duration,
        "requested_ticks": outcome.requested_ticks,
        "ticks": sim.tick,
        "simulated_time": simulated,
        "wall_time": wall,
        "ticks_per_second": sim.tick / wall if wall > 0 else None,
        "real_time_factor": simulated / wall if wall > 0 else None,
        "realtime": options.realtime,
        "time_scale": options.time_scale if options.realtime else None,
        "recorded_ports": list(sim.recording.ports) if sim.recording else [],
        "record_every": options.record_every,
        "record": {"ports": options.record, "every": options.record_every},
        "rows": rows,
        "final_values": {k: _json_value(v) for k, v in (final_values or sim.snapshot()).items()},
    }
    if options.realtime:
        clock = outcome.clock
        summary["overruns"] = clock.overruns  # type: ignore[attr-defined]
        summary["max_lateness"] = clock.max_lateness  # type: ignore[attr-defined]
        summary["mean_lateness"] = clock.mean_lateness  # type: ignore[attr-defined]
    summary.update(outcome.extra)
    return summary


def degraded_summary(summary: dict[str, Any]) -> str:
    """One line on how a run was degraded: time without a PLC, stale/bad samples, dropped writes."""
    io = summary.get("io") or {}
    quality = io.get("quality") or {}
    return (f"{io.get('seconds_degraded') or 0:g} s with a PLC connection lost, "
            f"{quality.get('stale', 0)} stale and {quality.get('bad', 0)} bad of {quality.get('samples', 0)} read "
            f"samples ({quality.get('stale_ratio', 0.0):.1%} stale), {io.get('dropped_writes') or 0} dropped writes")


# ------------------------------------------------------------------------------------------ entry point


def _fail(problems: list[str], headline: str, stream: TextIO) -> int:
    """Print one paragraph: the headline, then every problem on its own line."""
    lines = [f"error: {headline}"] + [f"  - {p}" for p in problems]
    print("\n".join(lines), file=stream)
    return EXIT_USAGE


def _located(error: SimulationError) -> list[str]:
    """Each problem of an engine error as 'location: message' (the error's message if it has none)."""
    found = []
    for p in error.problems:
        message = p.get("message")
        if not message:
            continue
        loc = p.get("loc") or p.get("port") or ""
        found.append(f"{loc}: {message}" if loc else str(message))
    return found or [error.message]


def _io_problems(error: PortIOError) -> list[str]:
    """Each problem of an I/O adapter that cannot start: the binding and node, or the endpoint, and why."""
    found = []
    for p in error.problems:
        if "port" in p:
            found.append(f"{p['direction']} binding {p['port']} -> {p['endpoint']} {p['node_id']}: {p['reason']}")
        elif "endpoint" in p:
            found.append(f"endpoint {p['endpoint']} ({p.get('url', '?')}): {p.get('reason') or p.get('message')}")
    return found or [error.message]


def run(args: argparse.Namespace) -> int:
    """Validate, simulate, write the outputs; returns the process exit code."""
    err = sys.stderr
    options, problems = options_from_args(args)
    if problems:
        return _fail(problems, f"bad arguments ({len(problems)} problem{'s' * (len(problems) > 1)}):", err)

    model_file = args.model_file
    try:
        doc = read_document_file(model_file)
        doc, problems = endpoint_overrides(doc, args.endpoint)
        if problems:
            return _fail(problems, f"bad arguments ({len(problems)} problem{'s' * (len(problems) > 1)}):", err)
        io = create_io(args, doc, options.dt or doc.dt)
        sim = Simulator(doc, dt=options.dt, seed=options.seed, io=io)
    except SimulationError as exc:
        problems = _located(exc)
        if not exc.problems:  # e.g. the file cannot be read
            return _fail([], exc.message, err)
        return _fail(problems, f"invalid model {model_file} ({len(problems)} problem{'s' * (len(problems) > 1)}):", err)
    if not doc.components:
        return _fail(["components: the model has no components; add at least one (see examples/)"],
                     f"invalid model {model_file} (1 problem):", err)

    if options.record is not None:
        problems = record_problems(sim.port_names(), options.record)
        if problems:
            return _fail(problems, "nothing to record for some --record patterns:", err)
    sim.set_recording(options.record, options.record_every)
    events = RunEvents(sim)

    out_dir, problem = output_dir(args.out, model_file, args.force)
    if problem:
        return _fail([], problem, err)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail([], f"cannot create output directory {out_dir}: {exc.strerror or exc}", err)

    if args.hil and not doc.bindings:
        _fail([f"{model_file} binds no port to an OPC UA node (add 'endpoints' and 'bindings')"],
              "--hil needs bindings:", err)  # fmt: skip
        return EXIT_IO_UNAVAILABLE
    if args.replay and not any(b.direction == "read" for b in doc.bindings):
        return _fail([f"{model_file} has no read bindings to replay into"], "--replay needs read bindings:", err)
    link: TwinLink | None = None
    if args.opcua_server is not None:
        from app.engine.hil.runner import TwinLink, TwinServerError

        link = TwinLink(sim, hil=False, server_port=args.opcua_server, on_client_force=events.client_force)
        try:
            link.open()
        except TwinServerError as exc:
            _fail([str(exc)], "the twin cannot be served over OPC UA:", err)
            return EXIT_IO_UNAVAILABLE
        if not args.quiet:
            print(f"serving the twin at {link.server_url} (namespace urn:dtwin:twin)", file=err)

    if doc.bindings and io is None and not args.quiet:
        print(
            f"note: the model's {len(doc.bindings)} I/O binding(s) are ignored in a simulation-only run; "
            "bound inputs keep their default values",
            file=err,
        )

    requested = requested_ticks(sim, options)
    bar = ProgressBar(err, requested, sim.dt, enabled=None if not args.quiet else False)
    on_tick = (lambda s: bar.update(s.tick)) if bar.enabled else None
    if args.hil and io is not None:
        watch, show = events.io_watcher(io), on_tick
        on_tick = watch if show is None else (lambda s: (show(s), watch(s)) and None)
    with stop_on_sigint(sim) as stop:
        if not args.quiet:
            pace = f"paced x{options.time_scale:g}" if options.realtime else "as fast as possible"
            print(f"{doc.name}: running {requested * sim.dt:g} s ({requested} ticks of {sim.dt:g} s, {pace}, "
                  f"seed {options.seed}); Ctrl-C stops and keeps the results", file=err, flush=True)
        pace_text = f"paced at {options.time_scale:g}x real time" if options.realtime else "as fast as possible"
        events.log("started", f"{'HIL' if args.hil else 'simulation'} run started ({requested * sim.dt:g} s, "
                   f"{pace_text})", duration=requested * sim.dt, time_scale=options.time_scale if options.realtime
                   else None)
        try:
            outcome = simulate(sim, options, on_tick=on_tick, progress_every=max(1, min(1000, requested // 500)))
        except PortIOError as exc:  # the adapter refused to open: nothing ran
            problems = _io_problems(exc)
            _fail(problems, f"the PLC could not be put in the loop ({len(problems)} problem(s)):", err)
            return EXIT_IO_UNAVAILABLE
        finally:
            if link is not None:
                link.close()
    if stop.signum == signal.SIGTERM:
        outcome.status, outcome.error = "aborted", "stopped by SIGTERM"
    if io is not None:
        from app.engine.io import is_degraded

        outcome.extra["io"] = {**io.stats(), "quality": sim.read_quality()}
        outcome.extra["degraded"] = is_degraded(outcome.extra["io"])
    if link is not None and link.server is not None:
        outcome.extra["opcua_server"] = link.server.stats()
    if bar.enabled:
        bar.update(sim.tick, force=True)
    bar.close()

    started = time.perf_counter()
    recording = sim.recording
    assert recording is not None
    final_values = None
    if outcome.status != "failed":  # the state the run ended in, at t = ticks * dt (a scenario samples it too)
        sim.record_final_sample()
        final_values = sim.snapshot(sim.evaluate_now())
    rows = write_telemetry(out_dir / "telemetry.csv", recording, sim.plan.port_types)
    events.log("finished", f"run {outcome.status}" + (f": {outcome.error}" if outcome.error else ""),
               status=outcome.status, error=outcome.error)
    events.write_csv(out_dir / "events.csv")
    trace = getattr(io, "trace", None)
    if args.hil and trace is not None:  # the PLC's inputs, replayable with --replay or `run.py test --replay`
        from app.engine.scenarios import write_trace

        write_trace(str(out_dir / "trace.csv"), trace)
    mode = "hil" if args.hil else "replay" if args.replay else "sim"
    summary = build_summary(doc, model_file, options, outcome, rows, final_values, mode=mode)
    summary["write_time"] = time.perf_counter() - started
    with (out_dir / "summary.json").open("w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2, allow_nan=False)
        fh.write("\n")

    if outcome.status == "failed":
        print(f"error: the run failed after {sim.tick} ticks: {outcome.error}; partial results in {out_dir}", file=err)
        return EXIT_RUN_FAILED
    if outcome.status == "aborted":
        print(f"stopped by SIGTERM after {sim.tick} of {requested} ticks; partial results in {out_dir}", file=err)
        return EXIT_TERMINATED
    if outcome.status == "interrupted":
        print(f"interrupted after {sim.tick} of {requested} ticks; partial results in {out_dir}", file=err)
        return EXIT_INTERRUPTED
    if summary.get("degraded") and (args.fail_on_degraded or not args.quiet):
        print(f"{'error' if args.fail_on_degraded else 'warning'}: the run was degraded: {degraded_summary(summary)}; "
              f"see io in {out_dir}/summary.json", file=err)
        if args.fail_on_degraded:
            return EXIT_DEGRADED
    if not args.quiet:
        rate = summary["ticks_per_second"]
        print(
            f"{doc.name}: simulated {summary['simulated_time']:g} s ({sim.tick} ticks) in {sim.wall_time:.3f} s"
            + (f" ({rate:,.0f} ticks/s)" if rate else "")
            + f"; wrote {out_dir}/telemetry.csv ({rows} rows) "
            f"and {out_dir}/summary.json"
        )
    return EXIT_OK
