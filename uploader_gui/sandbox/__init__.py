"""A strict local stand-in for Procore's API and its S3 storage, with fault injection.

Used by the tests, by ``procore-uploader --demo`` and by ``procore-uploader sandbox``.
"""

from .demo_data import DemoInfo
from .faults import Fault, FaultPlan, FaultSpecError, parse_fault_spec
from .records import RequestRecord
from .runner import run_forever
from .sandbox import Sandbox

__all__ = ["DemoInfo", "Fault", "FaultPlan", "FaultSpecError", "RequestRecord", "Sandbox",
           "parse_fault_spec", "run_forever"]
