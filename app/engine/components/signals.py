"""Sources, signal blocks, logic and control: the building blocks of controllers and stimuli."""

from __future__ import annotations

import math
from typing import Any

from ._base import ComponentType, In, Out, Param

_EPS = 1e-6  # fraction of a step used to absorb the rounding error of t = k * dt in time comparisons


class Constant(ComponentType):
    """A constant value."""

    category = "source"
    outputs = (Out("out", description="the value"),)
    params = (Param("value", 0.0, description="output value"),)
    output_code = {"out": "{out} = {value}"}


class Step(ComponentType):
    """Jumps from `initial` to `final` at `time`."""

    category = "source"
    outputs = (Out("out"),)
    params = (
        Param("initial", 0.0, description="value before the step"),
        Param("final", 1.0, description="value from the step on"),
        Param("time", 1.0, unit="s", minimum=0.0, description="step time"),
    )
    output_code = {"out": "{out} = {final} if {t} >= {on} else {initial}"}

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        # t = k*dt carries rounding error (3 * 0.3 < 0.9): compare with a millionth of a step to spare.
        return {"on": params["time"] - _EPS * dt}


class Ramp(ComponentType):
    """Rises at `slope` per second from `start_time`, starting at `offset`."""

    category = "source"
    outputs = (Out("out"),)
    params = (
        Param("slope", 1.0, unit="1/s", description="rate of rise"),
        Param("start_time", 0.0, unit="s", minimum=0.0, description="when the ramp starts"),
        Param("offset", 0.0, description="value before and at the start"),
    )
    output_code = {"out": "{out} = {offset} + {slope} * ({t} - {start_time}) if {t} > {start_time} else {offset}"}


class Sine(ComponentType):
    """offset + amplitude * sin(2*pi*frequency*t + phase)."""

    category = "source"
    outputs = (Out("out"),)
    params = (
        Param("amplitude", 1.0),
        Param("frequency", 1.0, unit="Hz", minimum=0.0),
        Param("offset", 0.0),
        Param("phase", 0.0, unit="rad"),
    )
    output_code = {"out": "{out} = {offset} + {amplitude} * _sin({omega} * {t} + {phase})"}

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        return {"omega": 2.0 * math.pi * params["frequency"]}


class Pulse(ComponentType):
    """A rectangular pulse train: `high` for `width` seconds every `period`, from `delay` on, else `low`."""

    category = "source"
    outputs = (Out("out"),)
    params = (
        Param("period", 1.0, unit="s", exclusive_minimum=0.0),
        Param("width", 0.5, unit="s", minimum=0.0),
        Param("delay", 0.0, unit="s", minimum=0.0),
        Param("high", 1.0),
        Param("low", 0.0),
    )
    output_code = {
        "out": "{out} = {high} if {t} >= {start} and ({t} - {start}) % {period} < {width} else {low}",
    }

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        # Shift the phase by a millionth of a step so t = k*dt rounding (0.9 % 0.3 = 0.2999...) cannot
        # make a period start one tick late.
        return {"start": params["delay"] - _EPS * dt}


class Gain(ComponentType):
    """out = k * in."""

    inputs = (In("in"),)
    outputs = (Out("out"),)
    params = (Param("k", 1.0, description="gain"),)
    output_code = {"out": "{out} = {k} * {in}"}


class Sum(ComponentType):
    """out = in1 (+|-) in2, with `signs` such as "++" or "+-"."""

    inputs = (In("in1", default=0.0), In("in2", default=0.0))
    outputs = (Out("out"),)
    params = (Param("signs", "++", kind="str", choices=("++", "+-", "-+", "--")),)
    output_code = {"out": "{out} = {s1} * {in1} + {s2} * {in2}"}

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        s = params["signs"]
        return {"s1": 1.0 if s[0] == "+" else -1.0, "s2": 1.0 if s[1] == "+" else -1.0}


class Product(ComponentType):
    """out = in1 * in2."""

    inputs = (In("in1", default=1.0), In("in2", default=1.0))
    outputs = (Out("out"),)
    output_code = {"out": "{out} = {in1} * {in2}"}


class Limit(ComponentType):
    """Clamps `in` to [lower, upper]."""

    inputs = (In("in"),)
    outputs = (Out("out"),)
    params = (Param("lower", 0.0), Param("upper", 1.0))
    output_code = {"out": "{out} = {lower} if {in} < {lower} else ({upper} if {in} > {upper} else {in})"}

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> list[dict[str, Any]]:
        if params["lower"] > params["upper"]:
            return [{"field": "lower", "message": "must be <= upper", "value": params["lower"],
                     "bound": {"maximum": params["upper"]}}]
        return []


class Comparator(ComponentType):
    """True when `in` rises above threshold + hysteresis/2; false again below threshold - hysteresis/2."""

    inputs = (In("in"),)
    outputs = (Out("out", "bool"),)
    params = (Param("threshold", 0.0), Param("hysteresis", 0.0, minimum=0.0))
    states = ("q",)
    output_code = {"out": "{out} = True if {in} > {high} else (False if {in} < {low} else {q})"}
    update_code = "{q} = {out}"

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        h = params["hysteresis"] / 2.0
        return {"high": params["threshold"] + h, "low": params["threshold"] - h}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"q": False}


class And(ComponentType):
    """out = in1 and in2."""

    category = "logic"
    inputs = (In("in1", "bool"), In("in2", "bool", default=True))
    outputs = (Out("out", "bool"),)
    output_code = {"out": "{out} = bool({in1}) and bool({in2})"}


class Or(ComponentType):
    """out = in1 or in2."""

    category = "logic"
    inputs = (In("in1", "bool"), In("in2", "bool", default=False))
    outputs = (Out("out", "bool"),)
    output_code = {"out": "{out} = bool({in1}) or bool({in2})"}


class Not(ComponentType):
    """out = not in."""

    category = "logic"
    inputs = (In("in", "bool"),)
    outputs = (Out("out", "bool"),)
    output_code = {"out": "{out} = not {in}"}


class UnitDelay(ComponentType):
    """out(k) = in(k-1): breaks algebraic loops."""

    inputs = (In("in"),)
    outputs = (Out("out"),)
    params = (Param("initial", 0.0, description="output at the first tick"),)
    states = ("x",)
    output_code = {"out": "{out} = {x}"}
    update_code = "{x} = {in}"

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"x": params["initial"]}


class Integrator(ComponentType):
    """out = initial + k * integral of in dt (exact for an input held over each step), optionally limited."""

    inputs = (In("in"),)
    outputs = (Out("out"),)
    params = (
        Param("k", 1.0),
        Param("initial", 0.0),
        Param("lower", None, nullable=True, description="lower limit (null: none)"),
        Param("upper", None, nullable=True, description="upper limit (null: none)"),
    )
    states = ("x",)
    output_code = {"out": "{out} = {x}"}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        x = params["initial"]
        if params["lower"] is not None:
            x = max(x, params["lower"])
        if params["upper"] is not None:
            x = min(x, params["upper"])
        return {"x": x}

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> list[dict[str, Any]]:
        lo, hi = params["lower"], params["upper"]
        if lo is not None and hi is not None and lo > hi:
            return [{"field": "lower", "message": "must be <= upper", "value": lo, "bound": {"maximum": hi}}]
        return []

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        return {"kdt": params["k"] * dt,
                "lo": -math.inf if params["lower"] is None else params["lower"],
                "hi": math.inf if params["upper"] is None else params["upper"]}

    update_code = """
_x = {x} + {kdt} * {in}
{x} = {lo} if _x < {lo} else ({hi} if _x > {hi} else _x)
"""


class TimerOn(ComponentType):
    """PLC on-delay timer (TON): `q` turns true once `in` has been true for `preset` seconds."""

    category = "logic"
    inputs = (
        In("in", "bool", description="timer input"),
        In("preset", "float", "s", "delay; when unconnected, the `preset` parameter", default=-1.0),
    )
    outputs = (Out("q", "bool", description="delayed output"), Out("elapsed", "float", "s"))
    params = (Param("preset_time", 1.0, unit="s", minimum=0.0, description="delay used when `preset` is unconnected"),)
    states = ("n", "pt")
    # `elapsed` settles the preset into a state once per tick; `q` reads it (a same-component dependency,
    # so it is always computed after `elapsed`).
    output_code = {
        "elapsed": "{pt} = {preset} if {preset} >= 0.0 else {preset_time}\n"
                   "{elapsed} = (({n} * {dt} if {n} * {dt} < {pt} else {pt}) if {in} else 0.0)",
        "q": "{q} = ({n} * {dt} >= {pt} - {eps}) if {in} and {elapsed} >= 0.0 else False",
    }
    update_code = "{n} = {n} + 1 if {in} else 0"

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        return {"eps": _EPS * dt}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"n": 0, "pt": params["preset_time"]}


class Counter(ComponentType):
    """Up-counter (CTU): counts rising edges of `up`; `reset` clears; `q` when count >= preset."""

    category = "logic"
    inputs = (In("up", "bool"), In("reset", "bool", default=False))
    outputs = (Out("count", "int"), Out("q", "bool"))
    params = (Param("preset", 10, kind="int", minimum=0),)
    states = ("c", "prev")
    output_code = {
        "count": "{count} = 0 if {reset} else ({c} + 1 if ({up} and not {prev}) else {c})",
        "q": "{q} = {count} >= {preset}",
    }
    update_code = "{c} = {count}\n{prev} = bool({up})"

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"c": 0, "prev": False}


class PID(ComponentType):
    """Discrete PID: out = kp*e + ki*integral(e) + kd*de/dt, clamped to [out_min, out_max], with anti-windup."""

    category = "control"
    inputs = (In("setpoint"), In("measurement"))
    outputs = (Out("out", description="controller output, clamped"),)
    params = (
        Param("kp", 1.0, minimum=0.0),
        Param("ki", 0.0, minimum=0.0),
        Param("kd", 0.0, minimum=0.0),
        Param("out_min", 0.0),
        Param("out_max", 1.0),
        Param("anti_windup", True, kind="bool", description="stop integrating while saturated"),
        Param("reverse", False, kind="bool", description="reverse acting: error = measurement - setpoint"),
    )
    # e_now/u_now carry this tick's error and unclamped output from the output code to the update.
    states = ("i", "e_prev", "started", "e_now", "u_now")
    output_code = {
        "out": "{e_now} = {sgn} * ({setpoint} - {measurement})\n"
               "{u_now} = {kp} * {e_now} + {i} + ({kd_dt} * ({e_now} - {e_prev}) if {started} else 0.0)\n"
               "{out} = {out_min} if {u_now} < {out_min} else ({out_max} if {u_now} > {out_max} else {u_now})",
    }
    update_code = """
_e = {e_now}
_u = {u_now}
if not {anti_windup} or ({out_min} < _u < {out_max}) or (_u >= {out_max} and _e < 0) or (_u <= {out_min} and _e > 0):
    {i} = {i} + {ki_dt} * _e
{e_prev} = _e
{started} = True
"""

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        return {"ki_dt": params["ki"] * dt, "kd_dt": params["kd"] / dt, "sgn": -1.0 if params["reverse"] else 1.0}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"i": 0.0, "e_prev": 0.0, "started": False, "e_now": 0.0, "u_now": 0.0}

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> list[dict[str, Any]]:
        if params["out_min"] > params["out_max"]:
            return [{"field": "out_min", "message": "must be <= out_max", "value": params["out_min"],
                     "bound": {"maximum": params["out_max"]}}]
        return []
