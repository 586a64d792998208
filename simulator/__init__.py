"""The fleet simulator: demo data, ground truth and the benchmark workload (``cvd demo-data``).

>>> from simulator import SimConfig, OutputPaths, simulate
>>> simulate(SimConfig(machines=5, days=7), OutputPaths(inbox, master_data, truth))
"""

from simulator.config import DemandConfig, OperationsConfig, QuirkConfig, SimConfig
from simulator.run import OutputPaths, RunSummary, simulate

__all__ = [
    "DemandConfig",
    "OperationsConfig",
    "OutputPaths",
    "QuirkConfig",
    "RunSummary",
    "SimConfig",
    "simulate",
]
