"""Test scenarios: stimuli, fault injection and assertions over a simulated run, with record and replay.

A scenario document -> ``parse_scenario`` / ``load_scenario_file`` -> ``run_scenario(scenario, model_doc)``
-> ``ScenarioResult`` (JSON-able via ``to_dict``); ``junit_xml`` and ``html_report`` render results.
"""

from ._document import (
    FAULT_TYPES,
    AssertionSpec,
    FaultSpec,
    Scenario,
    Stimulus,
    check_scenario,
    load_scenario_file,
    parse_scenario,
    scenario_json_schema,
)
from ._errors import ExpressionError, ScenarioError
from ._expr import Expression, parse_expression
from ._faults import ActiveFault, FaultPeriod, fault_periods
from ._report import html_report, junit_xml, telemetry_csv
from ._runner import AssertionResult, ScenarioResult, recorded_ports, run_scenario
from ._trace import RecordingIO, Trace, TraceReplayIO, read_trace, trace_from_text, trace_to_text, write_trace

__all__ = [
    "FAULT_TYPES",
    "ActiveFault",
    "AssertionResult",
    "AssertionSpec",
    "Expression",
    "ExpressionError",
    "FaultPeriod",
    "FaultSpec",
    "RecordingIO",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "Stimulus",
    "Trace",
    "TraceReplayIO",
    "check_scenario",
    "fault_periods",
    "html_report",
    "junit_xml",
    "load_scenario_file",
    "parse_expression",
    "parse_scenario",
    "read_trace",
    "recorded_ports",
    "run_scenario",
    "scenario_json_schema",
    "telemetry_csv",
    "trace_from_text",
    "trace_to_text",
    "write_trace",
]
