"""Field-level rules shared by the request schemas and the document importer."""

from __future__ import annotations

import re

# ns=<index>; or nsu=<uri>; (optional), then i=<uint> | s=<string> | g=<guid> | b=<base64>
_NODE_ID = re.compile(
    r"^(?:(?:ns=\d+|nsu=[^;]+);)?"
    r"(?:i=\d+|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/]+={0,2})$",
    re.DOTALL,
)


def check_node_id(value: str) -> str:
    """Return ``value`` if it is a syntactically valid OPC UA node id, else raise ValueError."""
    if not _NODE_ID.match(value):
        raise ValueError("not a valid OPC UA node id (e.g. ns=2;s=Tag, i=85, nsu=urn:plant;s=Tag)")
    return value


def check_url(value: str) -> str:
    """Return ``value`` if it is an OPC UA TCP URL, else raise ValueError."""
    if not value.startswith("opc.tcp://") or len(value) <= len("opc.tcp://"):
        raise ValueError("must start with opc.tcp:// followed by a host")
    return value


def check_scale(value: float) -> float:
    """A binding's scale divides on the way out, so it must not be zero."""
    if value == 0:
        raise ValueError("scale must not be 0")
    return value
