"""Global routing: the problem model, routers, file formats and routing-based evaluation."""

from placement_env.routing.problem import (
    CapacityAdjustment,
    InvalidRoutingProblemError,
    RoutingNet,
    RoutingProblem,
)

__all__ = ["CapacityAdjustment", "InvalidRoutingProblemError", "RoutingNet", "RoutingProblem"]

from placement_env.routing.astar import (  # noqa: E402
    AStarCosts,
    AStarResult,
    RouteMetrics,
    evaluate_routes,
    route_sequential,
    two_pin_connections,
)
from placement_env.routing.ispd08 import (  # noqa: E402
    read_ispd08,
    read_ispd08_solution,
    write_ispd08,
    write_ispd08_solution,
)
from placement_env.routing.synthetic import (  # noqa: E402
    SyntheticConfig,
    generate,
    generate_connections,
)

__all__ += [
    "AStarCosts",
    "AStarResult",
    "RouteMetrics",
    "SyntheticConfig",
    "evaluate_routes",
    "generate",
    "generate_connections",
    "read_ispd08",
    "read_ispd08_solution",
    "route_sequential",
    "two_pin_connections",
    "write_ispd08",
    "write_ispd08_solution",
]

from placement_env.routing.decompose import Connections, decompose  # noqa: E402
from placement_env.routing.evaluation import (  # noqa: E402
    ROUTED_COLUMNS,
    RoutedPlacement,
    route_placement,
    routed_metrics,
)
from placement_env.routing.from_design import problem_from_placement  # noqa: E402
from placement_env.routing.metrics import route_metrics  # noqa: E402
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
    "route_metrics",
    "route_placement",
    "routed_metrics",
]
