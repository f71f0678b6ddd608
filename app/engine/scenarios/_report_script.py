"""The HTML report's stylesheet and its small plotting script (no library, no network), kept apart from the
Python that lays the page out. The script draws every lane of a figure on a canvas, sized to the page width;
all figures of a scenario share one time axis, one zoom (drag across a plot; double-click resets) and one
cursor, whose values are read out under each figure."""

CSS = """
body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;padding:0 16px;color:#222;
max-width:1400px}
h1{font-size:22px} h2{font-size:18px;margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:22px 0 4px}
table{border-collapse:collapse;margin:8px 0 16px} td,th{border:1px solid #ddd;padding:4px 8px;font-size:13px;
text-align:left;vertical-align:top} th{background:#f4f4f4}
.pass{color:#fff;background:#2e7d32;padding:1px 6px;border-radius:3px;font-weight:600}
.fail{color:#fff;background:#c62828;padding:1px 6px;border-radius:3px;font-weight:600}
.error{color:#fff;background:#ef6c00;padding:1px 6px;border-radius:3px;font-weight:600}
.meta{color:#555;font-size:13px} .msg{font-size:13px;margin:2px 0 6px;color:#333}
.fig{margin:4px 0 10px;user-select:none} .fig canvas{display:block;cursor:crosshair}
.readout{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#333;min-height:16px;
padding:2px 0 0 6px;white-space:pre-wrap}
.key{font-size:12px;color:#555;margin:4px 0 12px} .key span{margin-right:14px;white-space:nowrap}
.sw{display:inline-block;width:14px;height:10px;vertical-align:middle;margin-right:4px;border:1px solid #bbb}
button.reset{font-size:12px;margin-left:8px}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22"];
  var LEFT = 190, RIGHT = 14, TOP = 6, AXIS = 34, LINE = 15;
  var scenarios = [];

  function fmt(v) {
    if (v === null || v === undefined) return "-";
    if (typeof v !== "number") return String(v);
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return String(+v.toPrecision(6));
  }
  function ticks(lo, hi, n) {
    var span = hi - lo || 1, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
    var step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag, out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }
  function timeOf(S, s, k) { return S.d.t[s.i ? s.i[k] : k]; }
  function firstAtOrAfter(S, s, t) {  // binary search over the series' samples
    var lo = 0, hi = s.v.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (timeOf(S, s, mid) < t) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function valueAt(S, s, t) {
    var k = firstAtOrAfter(S, s, t);
    if (k >= s.v.length) k = s.v.length - 1;
    if (k > 0 && Math.abs(timeOf(S, s, k - 1) - t) < Math.abs(timeOf(S, s, k) - t)) k -= 1;
    return s.v[k];
  }
  function label(S, p) {
    var s = S.d.s[p], v = s.u ? p + " [" + s.u + "]" : p;
    return v;
  }

  function drawLane(S, fig, lane, last, first) {
    var c = lane.canvas, dpr = window.devicePixelRatio || 1, W = Math.max(320, c.parentNode.clientWidth);
    var H = lane.h + (last ? AXIS : 0);
    c.style.width = W + "px"; c.style.height = H + "px";
    c.width = Math.round(W * dpr); c.height = Math.round(H * dpr);
    var g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    g.font = "12px system-ui, sans-serif";
    var pw = W - LEFT - RIGHT, ph = lane.h - TOP - 4, t0 = S.view[0], t1 = S.view[1];
    lane.pw = pw;
    var X = function (t) { return LEFT + (t - t0) / (t1 - t0) * pw; };
    var lo = Infinity, hi = -Infinity;
    if (lane.bool) { lo = -0.2; hi = 1.2; } else {
      lane.p.forEach(function (p) {
        var s = S.d.s[p], k0 = Math.max(0, firstAtOrAfter(S, s, t0) - 1), k1 = Math.min(s.v.length - 1,
          firstAtOrAfter(S, s, t1));
        for (var k = k0; k <= k1; k++) { var v = s.v[k]; if (v !== null) { if (v < lo) lo = v; if (v > hi) hi = v; } }
      });
      (lane.th || []).forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; });
      if (!isFinite(lo)) { lo = 0; hi = 1; }
      if (hi - lo < 1e-12) { var pad = Math.abs(hi) * 0.1 || 1; lo -= pad; hi += pad; }
      var m = (hi - lo) * 0.07; lo -= m; hi += m;
    }
    var Y = function (v) { return TOP + (hi - v) / (hi - lo) * ph; };
    g.strokeStyle = "#bbb"; g.lineWidth = 1; g.strokeRect(LEFT + 0.5, TOP + 0.5, pw, ph);
    g.save(); g.beginPath(); g.rect(LEFT, TOP, pw, ph); g.clip();
    S.d.f.forEach(function (f) {
      g.fillStyle = "rgba(214,39,40,0.13)"; g.fillRect(X(f.a), TOP, Math.max(1, X(f.e) - X(f.a)), ph);
      g.fillStyle = "rgba(214,39,40,0.55)"; g.fillRect(X(f.a), TOP, 1.5, ph);
    });
    if (fig.w) { g.fillStyle = "rgba(31,119,180,0.10)"; g.fillRect(X(fig.w[0]), TOP, X(fig.w[1]) - X(fig.w[0]), ph); }
    g.strokeStyle = "#eee";
    var yt = lane.bool ? [0, 1] : ticks(lo, hi, Math.max(2, Math.floor(ph / 32)));
    yt.forEach(function (v) {
      g.beginPath(); g.moveTo(LEFT, Y(v) + 0.5); g.lineTo(LEFT + pw, Y(v) + 0.5); g.stroke();
    });
    var xt = ticks(t0, t1, Math.max(2, Math.floor(pw / 90)));
    xt.forEach(function (t) { g.beginPath(); g.moveTo(X(t) + 0.5, TOP); g.lineTo(X(t) + 0.5, TOP + ph); g.stroke(); });
    (lane.th || []).forEach(function (v) {
      g.strokeStyle = "#c62828"; g.setLineDash([6, 4]); g.beginPath(); g.moveTo(LEFT, Y(v)); g.lineTo(LEFT + pw, Y(v));
      g.stroke(); g.setLineDash([]);
    });
    lane.p.forEach(function (p, n) {
      var s = S.d.s[p], k0 = Math.max(0, firstAtOrAfter(S, s, t0) - 1), k1 = Math.min(s.v.length - 1,
        firstAtOrAfter(S, s, t1) + 1), lift = lane.bool ? 0.04 * n : 0, drawn = false, py = 0;
      g.strokeStyle = S.color[p]; g.lineWidth = 1.6; g.beginPath();
      for (var k = k0; k <= k1; k++) {
        var v = s.v[k];
        if (v === null) { drawn = false; continue; }
        var x = X(timeOf(S, s, k)), y = Y(v - lift);
        if (!drawn) { g.moveTo(x, y); drawn = true; } else { if (s.b) g.lineTo(x, py); g.lineTo(x, y); }
        py = y;
      }
      g.stroke();
    });
    g.lineWidth = 1;
    (fig.tr || []).forEach(function (t) {
      g.strokeStyle = "#9467bd"; g.setLineDash([2, 3]); g.beginPath(); g.moveTo(X(t), TOP); g.lineTo(X(t), TOP + ph);
      g.stroke(); g.setLineDash([]);
    });
    if (fig.m) {
      var col = fig.m.ok ? "#2e7d32" : "#c62828";
      g.strokeStyle = col; g.lineWidth = 1.5; g.beginPath(); g.moveTo(X(fig.m.t), TOP); g.lineTo(X(fig.m.t), TOP + ph);
      g.stroke(); g.lineWidth = 1;
      if (lane.p.length) {
        var v0 = valueAt(S, S.d.s[lane.p[0]], fig.m.t);
        if (v0 !== null) { g.fillStyle = col; g.beginPath(); g.arc(X(fig.m.t), Y(v0), 5, 0, 7); g.fill(); }
      }
    }
    if (S.sel) {
      g.fillStyle = "rgba(0,0,0,0.10)";
      g.fillRect(X(Math.min(S.sel[0], S.sel[1])), TOP, Math.abs(X(S.sel[1]) - X(S.sel[0])), ph);
    }
    if (S.cursor !== null) {
      g.strokeStyle = "#333"; g.beginPath(); g.moveTo(X(S.cursor) + 0.5, TOP); g.lineTo(X(S.cursor) + 0.5, TOP + ph);
      g.stroke();
    }
    if (first && fig.fl) {
      g.fillStyle = "#8b0000"; g.font = "11px system-ui, sans-serif";
      S.d.f.forEach(function (f) { if (f.e > t0 && f.a < t1) g.fillText(f.n, Math.max(LEFT, X(f.a)) + 4, TOP + 12); });
      g.font = "12px system-ui, sans-serif";
    }
    g.restore();
    g.fillStyle = "#444"; g.textAlign = "right"; g.textBaseline = "middle";
    yt.forEach(function (v) {
      var y = Y(v); if (y < TOP - 1 || y > TOP + ph + 1) return;
      g.fillText(lane.bool ? (v ? "true" : "false") : fmt(v), LEFT - 6, Math.min(Math.max(y, TOP + 6), TOP + ph - 6));
    });
    g.textAlign = "left";
    var maxw = LEFT - 58, rows = [];
    lane.p.forEach(function (p) {  // "port [unit]", or the unit on a line of its own when it does not fit
      var whole = label(S, p), unit = S.d.s[p].u;
      if (g.measureText(whole).width <= maxw || !unit) rows.push([p, whole]);
      else { rows.push([p, p]); rows.push([null, "[" + unit + "]"]); }
    });
    var yl = TOP + ph / 2 - (rows.length - 1) * LINE / 2;
    rows.forEach(function (row, n) {
      var text = row[1], full = text;
      while (g.measureText(text).width > maxw && text.length > 4) text = text.slice(0, -2);
      if (text !== full) text += "\u2026";
      if (row[0] !== null) { g.fillStyle = S.color[row[0]]; g.fillRect(4, yl + n * LINE - 4, 10, 8); }
      g.fillStyle = "#222"; g.fillText(text, 18, yl + n * LINE);
    });
    if (last) {
      g.textAlign = "center"; g.textBaseline = "top"; g.fillStyle = "#444";
      xt.forEach(function (t) {
        if (X(t) >= LEFT - 1 && X(t) <= LEFT + pw + 1) g.fillText(fmt(t), X(t), TOP + ph + 4);
      });
      g.fillText("time [s]", LEFT + pw / 2, TOP + ph + 18);
    }
    g.textAlign = "left"; g.textBaseline = "alphabetic";
  }

  function drawFigure(S, fig) {
    fig.lanes.forEach(function (lane, n) { drawLane(S, fig, lane, n === fig.lanes.length - 1, n === 0); });
    var parts = [];
    if (S.cursor !== null) {
      parts.push("t = " + fmt(S.cursor) + " s");
      fig.lanes.forEach(function (lane) {
        lane.p.forEach(function (p) {
          var s = S.d.s[p], v = valueAt(S, s, S.cursor);
          parts.push(p + " = " + (s.b ? (v ? "true" : "false") : fmt(v)) + (s.u ? " " + s.u : ""));
        });
      });
      S.d.f.forEach(function (f) { if (S.cursor >= f.a && S.cursor < f.e) parts.push("fault: " + f.n); });
    } else {
      parts.push("view " + fmt(S.view[0]) + " .. " + fmt(S.view[1]) + " s \u00b7 hover for values, " +
                 "drag across a plot to zoom, double-click to reset");
    }
    fig.readout.textContent = parts.join("   ");
  }

  function redraw(S) {
    if (S.pending) return;
    S.pending = true;
    window.requestAnimationFrame(function () {
      S.pending = false;
      S.figs.forEach(function (f) { drawFigure(S, f); });
    });
  }

  function timeAt(S, lane, ev) {
    var r = lane.canvas.getBoundingClientRect(), x = ev.clientX - r.left;
    var f = Math.min(1, Math.max(0, (x - LEFT) / lane.pw));
    return S.view[0] + f * (S.view[1] - S.view[0]);
  }

  function attach(S, lane) {
    var c = lane.canvas;
    c.addEventListener("mousemove", function (ev) {
      S.cursor = timeAt(S, lane, ev);
      if (S.drag !== null) S.sel = [S.drag, S.cursor];
      redraw(S);
    });
    c.addEventListener("mouseleave", function () { S.cursor = null; redraw(S); });
    c.addEventListener("mousedown", function (ev) { S.drag = timeAt(S, lane, ev); S.sel = null; ev.preventDefault(); });
    window.addEventListener("mouseup", function () {
      if (S.drag === null) return;
      if (S.sel && Math.abs(S.sel[1] - S.sel[0]) > (S.view[1] - S.view[0]) / 200) {
        S.view = [Math.min(S.sel[0], S.sel[1]), Math.max(S.sel[0], S.sel[1])];
      }
      S.drag = null; S.sel = null; redraw(S);
    });
    c.addEventListener("dblclick", function () { S.view = [S.d.t0, S.d.t1]; redraw(S); });
  }

  document.querySelectorAll("script[data-scenario]").forEach(function (el) {
    var d = JSON.parse(el.textContent), S = {d: d, view: [d.t0, d.t1], cursor: null, drag: null, sel: null,
                                             figs: [], color: {}, pending: false};
    Object.keys(d.s).forEach(function (p, n) { S.color[p] = COLORS[n % COLORS.length]; });
    scenarios.push(S);
    document.querySelectorAll(".fig[data-scenario='" + el.dataset.scenario + "']").forEach(function (div) {
      var spec = d.figs[+div.dataset.fig], box = document.createElement("div");
      div.appendChild(box);
      var fig = {w: spec.w, tr: spec.tr, m: spec.m, fl: spec.fl, lanes: [], readout: document.createElement("div")};
      spec.lanes.forEach(function (l) {
        var canvas = document.createElement("canvas");
        var bool = l.p.length > 0 && l.p.every(function (p) { return d.s[p].b; });
        var h = Math.max(bool ? 40 : l.h || 150, l.p.length * 2 * LINE + 14);
        box.appendChild(canvas);
        var lane = {canvas: canvas, p: l.p, th: l.th, bool: bool, h: h, pw: 1};
        fig.lanes.push(lane);
        attach(S, lane);
      });
      fig.readout.className = "readout";
      div.appendChild(fig.readout);
      S.figs.push(fig);
    });
    var reset = document.querySelector("button.reset[data-scenario='" + el.dataset.scenario + "']");
    if (reset) reset.addEventListener("click", function () { S.view = [d.t0, d.t1]; redraw(S); });
    redraw(S);
  });
  window.addEventListener("resize", function () { scenarios.forEach(redraw); });
})();
"""
