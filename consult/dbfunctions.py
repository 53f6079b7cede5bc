"""SQL functions Django does not have, for PostgreSQL and SQLite."""

from collections.abc import Sequence
from typing import Any

from django.db.models import Aggregate, FloatField, Func, IntegerField


class Seconds(Func):
    """Seconds from ``start`` to ``end`` (two datetime expressions) as a float."""

    output_field = FloatField()

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",
            arg_joiner=") - julianday(",
            **extra,
        )


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the interpolated ``fraction`` percentile."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


class WidthBucket(Func):
    """PostgreSQL's ``width_bucket(value, thresholds)``: 0 below the first edge, ``i`` for
    ``edges[i-1] <= value < edges[i]``, ``len(edges)`` from the last edge on."""

    function = "WIDTH_BUCKET"
    output_field = IntegerField()

    def __init__(self, expression: Any, edges: Sequence[float]) -> None:
        self.edges = [float(edge) for edge in edges]
        super().__init__(expression)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        thresholds = ", ".join(["%s"] * len(self.edges))
        return (
            f"WIDTH_BUCKET({sql}, ARRAY[{thresholds}]::double precision[])",
            (*params, *self.edges),
        )
