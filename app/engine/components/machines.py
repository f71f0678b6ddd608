"""Machine parts: sensors, thermal, fluid, motion and indication.

Integration: every continuous state is advanced with the input held constant over the step
(zero-order hold). First-order linear parts use the exact discretisation (the heater's exponential),
rate-limited parts move by exactly rate*dt, so results do not drift with dt.
"""

from __future__ import annotations

import math
from typing import Any

from ._base import Code, ComponentType, In, Out, Param


class Sensor(ComponentType):
    """Measures `in`: value = gain*in + offset + noise (seeded); `active` switches with hysteresis."""

    category = "machine"
    inputs = (In("in", description="the measured quantity"),)
    outputs = (
        Out("value", description="the measurement"),
        Out("active", "bool", description="value above threshold (with hysteresis)"),
    )
    params = (
        Param("gain", 1.0),
        Param("offset", 0.0),
        Param("noise_std", 0.0, minimum=0.0, description="standard deviation of gaussian noise"),
        Param("threshold", 0.5, description="switching point of `active`"),
        Param("hysteresis", 0.0, minimum=0.0),
    )
    states = ("on",)
    uses_rng = True

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        h = params["hysteresis"] / 2.0
        std = params["noise_std"]
        # Box-Muller on the component's own stream: C-level calls only, about 3x cheaper than Random.gauss.
        noise = Code(f"{std!r} * _sqrt(-2.0 * _log(1.0 - _rng.random())) * _cos(6.283185307179586 * _rng.random())"
                     ) if std > 0.0 else 0.0
        return {"high": params["threshold"] + h, "low": params["threshold"] - h, "noise": noise}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"on": False}

    output_code = {
        "value": "{value} = {gain} * {in} + {offset} + {noise}",
        "active": "{active} = True if {value} > {high} else (False if {value} < {low} else {on})",
    }
    update_code = "{on} = {active}"


class Heater(ComponentType):
    """Lumped thermal mass: C*dT/dt = P - k*(T - T_ambient), P clipped to [0, max_power]; exact discretisation."""

    category = "machine"
    inputs = (In("power", unit="W", description="requested heating power", default=0.0),)
    outputs = (Out("temperature", unit="°C"),)
    params = (
        Param("max_power", 2000.0, unit="W", minimum=0.0, maximum=1e7),
        Param("thermal_mass", 5000.0, unit="J/K", exclusive_minimum=0.0, description="heat capacity C"),
        Param("loss_coefficient", 10.0, unit="W/K", exclusive_minimum=0.0, description="heat loss k"),
        Param("ambient", 20.0, unit="°C"),
        Param("initial_temperature", 20.0, unit="°C"),
    )
    states = ("temp",)
    output_code = {"temperature": "{temperature} = {temp}"}
    update_code = """
_p = 0.0 if {power} < 0.0 else ({max_power} if {power} > {max_power} else {power})
_ss = {ambient} + _p * {inv_k}
{temp} = _ss + ({temp} - _ss) * {decay}
"""

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        k, c = params["loss_coefficient"], params["thermal_mass"]
        return {"inv_k": 1.0 / k, "decay": math.exp(-k * dt / c)}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"temp": params["initial_temperature"]}


class Valve(ComponentType):
    """Opening follows `command` (0..1) at 1/travel_time per second; flow = max_flow * opening."""

    category = "machine"
    inputs = (In("command", unit="1", description="requested opening 0..1", default=0.0),)
    outputs = (Out("opening", unit="1"), Out("flow", unit="m³/s"))
    params = (
        Param("max_flow", 0.001, unit="m³/s", minimum=0.0),
        Param("travel_time", 1.0, unit="s", exclusive_minimum=0.0, description="time for a full stroke"),
        Param("initial_opening", 0.0, minimum=0.0, maximum=1.0),
        Param("leak", 0.0, minimum=0.0, maximum=1.0, description="flow fraction when closed"),
    )
    states = ("x",)
    output_code = {
        "opening": "{opening} = {x}",
        "flow": "{flow} = {max_flow} * ({leak} + (1.0 - {leak}) * {x})",
    }
    update_code = """
_c = 0.0 if {command} < 0.0 else (1.0 if {command} > 1.0 else float({command}))
_d = _c - {x}
{x} = _c if -{step} <= _d <= {step} else ({x} + {step} if _d > 0.0 else {x} - {step})
"""

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        return {"step": dt / params["travel_time"]}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"x": params["initial_opening"]}


class Actuator(ComponentType):
    """Position follows `setpoint` at most max_speed per second, within [min_position, max_position]."""

    category = "machine"
    inputs = (In("setpoint", unit="mm", default=0.0),)
    outputs = (Out("position", unit="mm"), Out("at_min", "bool"), Out("at_max", "bool"))
    params = (
        Param("max_speed", 100.0, unit="mm/s", exclusive_minimum=0.0),
        Param("min_position", 0.0, unit="mm"),
        Param("max_position", 100.0, unit="mm"),
        Param("initial_position", 0.0, unit="mm"),
        Param("tolerance", 1e-6, unit="mm", minimum=0.0, description="end-position switch tolerance"),
    )
    states = ("x",)
    output_code = {
        "position": "{position} = {x}",
        "at_min": "{at_min} = {x} <= {min_position} + {tolerance}",
        "at_max": "{at_max} = {x} >= {max_position} - {tolerance}",
    }
    update_code = """
_c = {min_position} if {setpoint} < {min_position} else ({max_position} if {setpoint} > {max_position} else {setpoint})
_d = _c - {x}
{x} = _c if -{step} <= _d <= {step} else ({x} + {step} if _d > 0.0 else {x} - {step})
"""

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        return {"step": params["max_speed"] * dt}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        lo, hi = params["min_position"], params["max_position"]
        return {"x": min(max(params["initial_position"], lo), hi)}

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> list[dict[str, Any]]:
        if params["min_position"] >= params["max_position"]:
            return [{"field": "min_position", "message": "must be < max_position", "value": params["min_position"],
                     "bound": {"exclusiveMaximum": params["max_position"]}}]
        return []


class Tank(ComponentType):
    """Level from inflow - outflow over the base area, held within [0, height]."""

    category = "machine"
    inputs = (
        In("inflow", unit="m³/s", default=0.0),
        In("outflow", unit="m³/s", description="requested outflow; limited by the content", default=0.0),
    )
    outputs = (
        Out("level", unit="m"),
        Out("volume", unit="m³"),
        Out("overflow", "bool", description="full and still filling"),
        Out("empty", "bool"),
    )
    params = (
        Param("area", 1.0, unit="m²", exclusive_minimum=0.0),
        Param("height", 2.0, unit="m", exclusive_minimum=0.0),
        Param("initial_level", 0.0, unit="m", minimum=0.0),
    )
    states = ("h", "spill")
    output_code = {
        "level": "{level} = {h}",
        "volume": "{volume} = {h} * {area}",
        "overflow": "{overflow} = {spill}",
        "empty": "{empty} = {h} <= 0.0",
    }
    update_code = """
_h = {h} + ({inflow} - {outflow}) * {dt_a}
{spill} = _h > {height}
{h} = 0.0 if _h < 0.0 else ({height} if _h > {height} else _h)
"""

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        return {"dt_a": dt / params["area"]}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"h": min(params["initial_level"], params["height"]), "spill": False}


class Motor(ComponentType):
    """Speed ramps to the setpoint while enabled; current = no-load + load share; health wears with use."""

    category = "machine"
    inputs = (
        In("enable", "bool", default=False),
        In("speed_setpoint", unit="rpm", default=1500.0),
        In("load", unit="1", description="mechanical load 0..1 (1 = rated)", default=0.5),
    )
    outputs = (
        Out("speed", unit="rpm"),
        Out("current", unit="A"),
        Out("running", "bool"),
        Out("runtime", unit="s"),
        Out("health", unit="1", description="1 = new, 0 = worn out"),
    )
    params = (
        Param("rated_speed", 1500.0, unit="rpm", exclusive_minimum=0.0),
        Param("ramp_time", 2.0, unit="s", exclusive_minimum=0.0, description="0 to rated speed"),
        Param("no_load_current", 1.0, unit="A", minimum=0.0),
        Param("rated_current", 5.0, unit="A", minimum=0.0),
        Param("overcurrent_limit", 6.0, unit="A", minimum=0.0),
        Param("wear_per_hour", 0.001, unit="1/h", minimum=0.0, description="health lost per running hour"),
        Param("overcurrent_wear", 0.01, unit="1/s", minimum=0.0, description="health lost per second of overcurrent"),
    )
    states = ("n", "rt", "hl")
    output_code = {
        "speed": "{speed} = {n}",
        "running": "{running} = {n} > {run_threshold}",
        # Below the running threshold (spinning up or coasting) the current scales with speed.
        "current": "{current} = ({no_load_current} + {load} * {load_span})"
                   " * (1.0 if {n} > {run_threshold} else {n} * {inv_thr}) if {n} > 0.0 else 0.0",
        "runtime": "{runtime} = {rt}",
        "health": "{health} = {hl}",
    }
    update_code = """
_sp = ({speed_setpoint} if {speed_setpoint} > 0.0 else 0.0) if {enable} else 0.0
_d = _sp - {n}
{n} = _sp if -{step} <= _d <= {step} else ({n} + {step} if _d > 0.0 else {n} - {step})
if {running}:
    {rt} = {rt} + {dt}
    _w = {wear} + ({oc_wear} if {current} > {overcurrent_limit} else 0.0)
    {hl} = {hl} - _w if {hl} > _w else 0.0
"""

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        thr = 0.01 * params["rated_speed"]
        return {
            "step": params["rated_speed"] * dt / params["ramp_time"],
            "run_threshold": thr,
            "inv_thr": 1.0 / thr,
            "load_span": params["rated_current"] - params["no_load_current"],
            "wear": params["wear_per_hour"] * dt / 3600.0,
            "oc_wear": params["overcurrent_wear"] * dt,
        }

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"n": 0.0, "rt": 0.0, "hl": 1.0}


class Conveyor(ComponentType):
    """Belt travel: position integrates `speed` (m/s)."""

    category = "machine"
    inputs = (In("speed", unit="m/s", default=0.0),)
    outputs = (Out("position", unit="m", description="total belt travel"), Out("moving", "bool"))
    params = (Param("initial_position", 0.0, unit="m"),)
    states = ("x",)
    output_code = {"position": "{position} = {x}", "moving": "{moving} = {speed} != 0.0"}
    update_code = "{x} = {x} + {speed} * {dt}"

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"x": params["initial_position"]}


class Cylinder(ComponentType):
    """Pneumatic cylinder: `extend` drives the rod over the stroke in extend_time (back in retract_time)."""

    category = "machine"
    inputs = (In("extend", "bool", description="valve command: true extends", default=False),)
    outputs = (
        Out("position", unit="mm"),
        Out("extended", "bool", description="front end switch"),
        Out("retracted", "bool", description="rear end switch"),
    )
    params = (
        Param("stroke", 100.0, unit="mm", exclusive_minimum=0.0),
        Param("extend_time", 1.0, unit="s", exclusive_minimum=0.0),
        Param("retract_time", 1.0, unit="s", exclusive_minimum=0.0),
        Param("initially_extended", False, kind="bool"),
    )
    # The rod position is kept as a fraction of the stroke advanced by a whole number of steps, so an
    # end switch closes exactly at the tick where elapsed time reaches the stroke time.
    states = ("f",)
    output_code = {
        "position": "{position} = {f} * {stroke}",
        "extended": "{extended} = {f} >= 1.0 - 1e-9",
        "retracted": "{retracted} = {f} <= 1e-9",
    }
    update_code = """
if {extend}:
    {f} = {f} + {up} if {f} + {up} < 1.0 - 1e-9 else 1.0
else:
    {f} = {f} - {down} if {f} - {down} > 1e-9 else 0.0
"""

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        return {"up": dt / params["extend_time"], "down": dt / params["retract_time"]}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {"f": 1.0 if params["initially_extended"] else 0.0}


class Lamp(ComponentType):
    """Indicator lamp: on follows in."""

    category = "machine"
    inputs = (In("in", "bool"),)
    outputs = (Out("on", "bool"),)
    output_code = {"on": "{on} = bool({in})"}
