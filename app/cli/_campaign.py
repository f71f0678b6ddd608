"""``run.py test SCENARIO --seeds N --sweep c.p=VALUES --metric c.port:max``: one scenario, many runs, one summary.

Parsing the options, running the campaign on local processes or a Dask scheduler, printing the per-point pass
rates, distributions and worst cases (each with the one command that reproduces it), and writing JUnit, HTML and
JSON. Bad options are exit 2 with a message naming the option, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from typing import Any

from app.engine import ModelDocument
from app.engine.campaigns import (
    Campaign,
    CampaignError,
    CampaignResult,
    CaseResult,
    Metric,
    Sweep,
    campaign_html,
    campaign_junit,
    check_campaign,
    dask_executor,
    format_point,
    parse_metric,
    parse_sweep,
    parse_value,
    run_campaign,
)
from app.engine.scenarios import Scenario

MAX_SEEDS = 1_000_000
MAX_ROWS = 50  # grid points printed; the HTML report has them all


class OptionError(Exception):
    """A command-line option that cannot be used; the message names it."""


def is_campaign(args: argparse.Namespace) -> bool:
    return bool(args.seeds is not None or args.sweep or args.metric or args.scheduler)


def parse_seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise OptionError(f"--seed: expected a whole number, got {text!r}") from None


def parse_fixed(texts: list[str]) -> dict[str, Any]:
    """``--set component.parameter=VALUE`` (one value each)."""
    fixed: dict[str, Any] = {}
    for text in texts:
        target, eq, value = text.partition("=")
        target = target.strip()
        comp, dot, name = target.partition(".")
        if not eq or not comp or not dot or not name or not value.strip():
            raise OptionError(f"--set {text}: expected component.parameter=VALUE, e.g. tank.area=0.5")
        if "," in value or ":" in value:
            raise OptionError(f"--set {text}: one value only; use --sweep for several")
        if target in fixed:
            raise OptionError(f"--set {text}: {target} is set twice")
        fixed[target] = parse_value(value)
    return fixed


def _seeds(args: argparse.Namespace, scenario: Scenario) -> tuple[int, ...]:
    if args.seeds is not None and args.seed is not None:
        raise OptionError("give --seeds N (seeds 0..N-1) or --seed S (one seed), not both")
    if args.seed is not None:
        return (parse_seed(args.seed),)
    if args.seeds is None:
        return (scenario.seed,)
    try:
        count = int(args.seeds)
    except ValueError:
        raise OptionError(f"--seeds: expected a number of seeds (runs with seeds 0..N-1), got {args.seeds!r}") \
            from None
    if not 1 <= count <= MAX_SEEDS:
        raise OptionError(f"--seeds: must be between 1 and {MAX_SEEDS}, got {count}")
    return tuple(range(count))


def _sweeps(texts: list[str]) -> tuple[Sweep, ...]:
    out = []
    for text in texts:
        try:
            out.append(parse_sweep(text))
        except CampaignError as exc:
            raise OptionError(f"--sweep {text}: {exc.message}") from None
    return tuple(out)


def _metrics(texts: list[str]) -> tuple[Metric, ...]:
    out = []
    for text in texts:
        try:
            out.append(parse_metric(text))
        except CampaignError as exc:
            raise OptionError(f"--metric {text}: {exc.message}") from None
    return tuple(out)


def option_of(loc: str, args: argparse.Namespace) -> str:
    """The command-line option a located campaign problem is about (``sweep[1]`` -> ``--sweep tank.kp=1,2``)."""
    kind, _, rest = loc.partition("[")
    index = int(rest.rstrip("]")) if rest else None
    texts = {"sweep": args.sweep, "set": args.set, "metrics": args.metric}.get(kind)
    if texts is not None and index is not None and index < len(texts):
        return f"--{'metric' if kind == 'metrics' else kind} {texts[index]}"
    return {"seeds": "--seeds", "sweep": "--sweep", "metrics": "--metric"}.get(kind, kind)


def print_problems(problems: list[dict[str, Any]], args: argparse.Namespace) -> None:
    for p in problems:
        print(f"{option_of(p.get('loc', ''), args)}: {p['message']}", file=sys.stderr)


def build(args: argparse.Namespace, path: str, scenario: Scenario, doc: ModelDocument) -> Campaign:
    """The campaign the options describe; OptionError for syntax, CampaignError (located) for the model's part."""
    fixed = parse_fixed(args.set)
    campaign = Campaign(scenario, doc, seeds=_seeds(args, scenario), sweeps=_sweeps(args.sweep),
                        metrics=_metrics(args.metric), fixed=fixed)
    problems = check_campaign(campaign)
    if problems:
        raise CampaignError(problems[0]["message"], problems)
    return campaign


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def reproduce_command(path: str) -> Any:
    """A function giving, for a case, the one command that runs exactly that case (same seed, same parameters)."""
    def command(result: CampaignResult, case: CaseResult) -> str:
        words = ["python", "run.py", "test", path, "--seed", str(case.seed)]
        for target, value in result.case_parameters(case).items():
            words += ["--set", f"{target}={_value_text(value)}"]
        return " ".join(shlex.quote(w) for w in words)

    return command


def _stats(d: dict[str, Any]) -> str:
    if not d["n"]:
        return "-"
    return f"{d['p50']:.4g} [{d['min']:.4g}, {d['max']:.4g}]"


def print_result(result: CampaignResult, path: str, worst: int) -> None:
    reproduce = reproduce_command(path)
    summaries = result.point_summaries()
    targets = list(result.sweeps)
    header = ["point", *targets, "passed", "rate", *(f"{m} p50 [min, max]" for m in result.metrics)]
    rows = []
    for s in summaries[:MAX_ROWS]:
        rows.append([str(s.index), *(_value_text(s.parameters[t]) for t in targets), f"{s.passed}/{s.runs}",
                     f"{s.pass_rate:.1%}", *(_stats(s.metrics[m].to_dict()) for m in result.metrics)])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    if len(summaries) > MAX_ROWS:
        print(f"... and {len(summaries) - MAX_ROWS} more point(s) (every point is in --html and --out)")
    bad = result.worst(worst)
    if bad:
        print(f"worst case(s), {len(bad)} of {sum(not c.passed for c in result.cases)} not passing:")
        for c in bad:
            mark = "ERROR" if c.status == "error" else "FAIL"
            print(f"  {mark}  point {c.point} ({format_point(result.points[c.point])}), seed {c.seed}")
            if c.error:
                print(f"        error: {c.error}")
            for f in c.failures:
                print(f"        {f['name']}: {f['message']}")
            print(f"        {reproduce(result, c)}")
    overall = result.overall()
    for m in result.metrics:
        d = overall[m]
        if d.n and d.min_case is not None and d.max_case is not None:
            lo = next(c for c in result.cases if (c.point, c.seed) == d.min_case)
            hi = next(c for c in result.cases if (c.point, c.seed) == d.max_case)
            print(f"{m}: lowest {d.min:.6g} (point {lo.point}, seed {lo.seed}), highest {d.max:.6g} "
                  f"(point {hi.point}, seed {hi.seed}); mean {d.mean:.6g}, p5 {d.p5:.6g}, p95 {d.p95:.6g}")
            print(f"  highest: {reproduce(result, hi)}")
    counts = result.counts()
    rate = counts["passed"] / counts["done"] if counts["done"] else 0.0
    print(f"{counts['done']} run(s) ({len(result.points)} point(s) x {len(result.seeds)} seed(s)): "
          f"{counts['passed']} passed, {counts['failed']} failed"
          + (f", {counts['errors']} run error(s)" if counts["errors"] else "")
          + f"; pass rate {rate:.1%}; {result.wall_time:.1f} s on {result.executor}")


def run(args: argparse.Namespace, path: str, scenario: Scenario, doc: ModelDocument, write: Any) -> int:
    """Run the campaign the options describe on one scenario; the exit code (0 all passed, 1 some did not, 2 bad)."""
    if args.replay:
        print("--replay feeds one recorded trace; it does not combine with --seeds/--sweep/--metric", file=sys.stderr)
        return 2
    try:
        campaign = build(args, path, scenario, doc)
    except OptionError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except CampaignError as exc:
        print_problems(exc.problems or [{"loc": "", "message": exc.message}], args)
        return 2
    workers = args.jobs or os.cpu_count() or 1
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{workers} local process(es)"
    print(f"campaign {scenario.name!r}: {len(campaign.points())} point(s) x {len(campaign.seeds)} seed(s) = "
          f"{campaign.runs} run(s) on {where}", flush=True)
    try:
        if args.scheduler:
            with dask_executor(args.scheduler) as (executor, threads):
                result = run_campaign(campaign, executor=executor, workers=threads,
                                      executor_name=f"Dask {args.scheduler} ({threads} worker thread(s))")
        else:
            result = run_campaign(campaign, workers=workers)
    except CampaignError as exc:
        print(f"{'--scheduler ' + args.scheduler + ': ' if args.scheduler else ''}{exc.message}", file=sys.stderr)
        return 2
    except Exception as exc:  # the cluster's own errors arrive as whatever it raises
        if not args.scheduler:
            raise
        text = " ".join(str(exc).split())
        print(f"--scheduler {args.scheduler}: the cluster could not run the campaign: {type(exc).__name__}: {text}\n"
              "The scheduler and every worker need this platform importable (start them from the project "
              "directory with PYTHONPATH=.) and the same Python, dask and distributed versions as this client.",
              file=sys.stderr)
        return 2
    print_result(result, path, args.worst)
    reproduce = reproduce_command(path)
    if args.junit:
        write(args.junit, campaign_junit(result, reproduce))
    if args.html:
        write(args.html, campaign_html(result, reproduce))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        data = result.to_dict(cases=True, worst=args.worst)
        for case in data["worst"]:
            case["reproduce"] = reproduce(result, CaseResult.from_dict({**case}))
        with open(os.path.join(args.out, "campaign.json"), "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, default=str)
            fh.write("\n")
    return 0 if result.passed else 1
