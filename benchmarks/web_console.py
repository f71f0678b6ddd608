"""Does the web console stay smooth on big models? Frames per second and force-to-screen latency.

Starts a real server (``run.py serve`` on a free 127.0.0.1 port, its own SQLite file), imports generated
models of 1,000 and 3,000 components (chains Sine -> Gain -> Comparator -> Not -> Lamp, every port
streamed), starts an open-ended paced run of each, opens ``/runs/{id}`` in headless Debian chromium and
measures, with a requestAnimationFrame counter injected into the page:

- frames/s over a few seconds with the whole graph fitted in view (zoomed out: plain boxes) and at normal
  zoom (1.0, centred on one chain, values painted);
- the latency from a REST force (PUT /forces, sent from the page) to the forced value appearing in the DOM
  (a MutationObserver timestamp), p95 over N forces.

Prints each figure against its target as a ratio (>= 1 meets it):
>= 50 frames/s at 1,000 components, >= 30 at 3,000, <= 150 ms p95 force-to-DOM.

    python benchmarks/web_console.py [--sizes 1000,3000] [--seconds 5] [--forces 20]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.web.conftest import CHROMIUM_ARGS, LiveServer  # noqa: E402

FPS_TARGETS = {1000: 50.0, 3000: 30.0}
LATENCY_TARGET_MS = 150.0
SETTLE_MS = 3000
CHAIN = ("Sine", "Gain", "Comparator", "Not", "Lamp")


def generated_model(components: int) -> dict[str, Any]:
    """``components`` components in chains of five, each chain wired output to input."""
    comps: list[dict[str, Any]] = []
    connections: list[dict[str, str]] = []
    for k in range(components // len(CHAIN)):
        sine, gain, comparator, inverter, lamp = (f"{t.lower()}_{k}" for t in CHAIN)
        comps += [
            {"name": sine, "type": "Sine", "parameters": {"frequency": 0.2 + (k % 7) * 0.05, "phase": k * 0.1}},
            {"name": gain, "type": "Gain", "parameters": {"k": 2.0}},
            {"name": comparator, "type": "Comparator", "parameters": {"threshold": 0.5}},
            {"name": inverter, "type": "Not"},
            {"name": lamp, "type": "Lamp"},
        ]
        connections += [
            {"from": f"{sine}.out", "to": f"{gain}.in"},
            {"from": f"{gain}.out", "to": f"{comparator}.in"},
            {"from": f"{comparator}.out", "to": f"{inverter}.in"},
            {"from": f"{inverter}.out", "to": f"{lamp}.in"},
        ]
    return {"schema_version": 1, "name": f"generated_{components}", "dt": 0.05, "components": comps,
            "connections": connections}


FPS_SCRIPT = """(seconds) => new Promise((resolve) => {
  let frames = 0, longest = 0, last = performance.now();
  const start = last;
  const tick = (now) => {
    frames += 1; longest = Math.max(longest, now - last); last = now;
    if (now - start < seconds * 1000) requestAnimationFrame(tick);
    else resolve({ fps: frames / ((now - start) / 1000), longest });
  };
  requestAnimationFrame(tick);
})"""

FORCE_SCRIPT = """async ({ runId, component, port, value }) => {
  const el = document.querySelector(`[data-testid="value-${component}.${port}"]`);
  if (!el) throw new Error("value element not in the DOM");
  const wanted = String(value);
  const seen = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if ((el.textContent || "").startsWith(wanted)) { observer.disconnect(); resolve(performance.now()); }
    });
    observer.observe(el, { childList: true, characterData: true, subtree: true });
  });
  const sent = performance.now();
  const response = await fetch(`/api/v1/simulations/${runId}/forces`, {
    method: "PUT", headers: { "content-type": "application/json" },
    body: JSON.stringify({ component, port, value }),
  });
  if (!response.ok) throw new Error(`force answered ${response.status}`);
  return (await seen) - sent;
}"""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(server: LiveServer, page: Page, components: int, seconds: float, forces: int) -> dict[str, float]:
    project = server.api.post("/projects", json={"name": f"bench {components}"}).json()
    model = server.api.post(
        "/machine-models/import", params={"project_id": project["id"]}, json=generated_model(components), timeout=120
    ).json()
    run = server.api.post(
        "/simulations/start", json={"machine_model_id": model["id"], "realtime": True}, timeout=60
    ).json()
    try:
        opened = time.perf_counter()
        page.goto(f"{server.url}/runs/{run['id']}")
        page.get_by_test_id("stream-state").filter(has_text="live").wait_for(timeout=120_000)
        page.locator(".react-flow__node").first.wait_for(timeout=120_000)
        mounted = time.perf_counter() - opened
        page.wait_for_timeout(SETTLE_MS)  # let the first mount and measuring pass before counting frames
        fit = page.evaluate(FPS_SCRIPT, seconds)

        page.get_by_test_id("graph-search").fill("sine_0")
        page.get_by_test_id("graph-search-go").click()
        page.get_by_test_id("value-sine_0.out").filter(has_text=re.compile(r"\d")).wait_for()
        zoomed = page.evaluate(FPS_SCRIPT, seconds)

        latencies = [
            float(page.evaluate(FORCE_SCRIPT, {"runId": run["id"], "component": "sine_0", "port": "out",
                                               "value": 100 + i}))
            for i in range(forces)
        ]
        status = server.api.get(f"/simulations/{run['id']}/status").json()
    finally:
        server.api.post(f"/simulations/{run['id']}/stop")
    return {
        "open_s": mounted,
        "fit_fps": fit["fps"],
        "fit_longest_ms": fit["longest"],
        "zoom_fps": zoomed["fps"],
        "zoom_longest_ms": zoomed["longest"],
        "force_p50_ms": statistics.median(latencies),
        "force_p95_ms": p95(latencies),
        "rtf": status.get("real_time_factor") or 0.0,
        "overruns": status.get("overruns", 0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,3000", help="component counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each frames/s window")
    parser.add_argument("--forces", type=int, default=20, help="forces timed per model")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        print("Debian's chromium is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp))
        try:
            server.wait_until_healthy()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                for size in sizes:
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    results[size] = measure(server, page, size, args.seconds, args.forces)
                    page.close()
                browser.close()
        finally:
            server.stop()

    print(f"web console, headless chromium 1400x900, every port streamed at 20 Hz, {args.seconds:g} s windows")
    for size, r in results.items():
        target = FPS_TARGETS.get(size, 30.0)
        print(f"\n{size} components ({size // 5 * 9} ports): page live in {r['open_s']:.1f} s; "
              f"run RTF {r['rtf']:.2f}, {r['overruns']} overruns")
        print(f"  fitted (plain boxes): {r['fit_fps']:5.1f} frames/s (longest frame {r['fit_longest_ms']:.0f} ms)"
              f"  ratio to >= {target:g}: {r['fit_fps'] / target:.2f}")
        print(f"  zoom 1 (values):      {r['zoom_fps']:5.1f} frames/s (longest frame {r['zoom_longest_ms']:.0f} ms)"
              f"  ratio to >= {target:g}: {r['zoom_fps'] / target:.2f}")
        print(f"  REST force -> DOM:    p50 {r['force_p50_ms']:.0f} ms, p95 {r['force_p95_ms']:.0f} ms"
              f"  ratio target/p95 ({LATENCY_TARGET_MS:g} ms): {LATENCY_TARGET_MS / r['force_p95_ms']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
