"""Native OpenTelemetry: requests observed once providers are configured; `telemetry={...}`.

OpenTelemetry's API comes with `pip install 'minifast[telemetry]'`; an app that never meets it
imports none of it.
"""

from minifast.telemetry._data import TelemetryConfig, TelemetryData
from minifast.telemetry._gate import get_telemetry_data

__all__ = ["TelemetryConfig", "TelemetryData", "get_telemetry_data"]
