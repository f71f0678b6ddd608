"""Hardware-in-the-loop over OPC UA: the client ``PortIO`` that binds twin ports to PLC tags."""

from app.engine.hil.client import OpcUaIO

__all__ = ["OpcUaIO"]
