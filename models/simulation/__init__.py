"""The fleet simulator: demo data, ground truth and the benchmark workload (``cvd demo-data``).

>>> from models.simulation import SimConfig, OutputPaths, simulate
>>> simulate(SimConfig(machines=5, days=7), OutputPaths(inbox, master_data, truth))
"""

from models.simulation.config import DemandConfig, OperationsConfig, QuirkConfig, SimConfig
from models.simulation.run import OutputPaths, RunSummary, simulate

__all__ = [
    "DemandConfig",
    "OperationsConfig",
    "OutputPaths",
    "QuirkConfig",
    "RunSummary",
    "SimConfig",
    "simulate",
]
