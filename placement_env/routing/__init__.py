"""Global routing: the problem model, routers, file formats and routing-based evaluation."""

from placement_env.routing.problem import (
    CapacityAdjustment,
    InvalidRoutingProblemError,
    RoutingNet,
    RoutingProblem,
)

__all__ = ["CapacityAdjustment", "InvalidRoutingProblemError", "RoutingNet", "RoutingProblem"]
