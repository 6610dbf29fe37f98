"""Global routing: the problem model, routers, file formats and routing-based evaluation."""

from placement_env.routing.problem import (
    CapacityAdjustment,
    InvalidRoutingProblemError,
    RoutingNet,
    RoutingProblem,
)

__all__ = ["CapacityAdjustment", "InvalidRoutingProblemError", "RoutingNet", "RoutingProblem"]

from placement_env.routing.decompose import Connections, decompose  # noqa: E402
from placement_env.routing.evaluation import (  # noqa: E402
    ROUTED_COLUMNS,
    RoutedPlacement,
    route_placement,
    routed_metrics,
)
from placement_env.routing.from_design import problem_from_placement  # noqa: E402
from placement_env.routing.router import RouterSettings, RoutingResult, route  # noqa: E402
from placement_env.routing.verify import InvalidRouteError, check_routes, recount  # noqa: E402

__all__ += [
    "ROUTED_COLUMNS",
    "Connections",
    "InvalidRouteError",
    "RoutedPlacement",
    "RouterSettings",
    "RoutingResult",
    "check_routes",
    "decompose",
    "problem_from_placement",
    "recount",
    "route",
    "route_placement",
    "routed_metrics",
]
