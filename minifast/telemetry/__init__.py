"""Native OpenTelemetry: `MiniFast(telemetry={...})`.

Needs `pip install 'minifast[telemetry]'`; an app without `telemetry=` never imports it.
"""

from minifast.telemetry._api import TelemetryConfig, TelemetryData, get_telemetry_data

__all__ = ["TelemetryConfig", "TelemetryData", "get_telemetry_data"]
