"""A statistics release's JSON (partners.stats._document) as a JSON Schema, for the OpenAPI document: made
from the same row lists and vocabularies the build uses."""

from __future__ import annotations

from backend.schema import wire_schema
from partners.stats import GOVERNORATE_ROWS, WIDER_REGIONS
from reports.vocabulary import Category

MONTH = {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "description": "YYYY-MM."}
DAY = {"type": "string", "format": "date"}
RHO = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$", "description": "A decimal, as text: exact."}
COUNT = {
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^<[0-9]+$", "description": 'Below the threshold: "<threshold".'},
    ],
    "description": 'A noisy count: never below 0; under the threshold, "<threshold".',
}


def _table(component: str, name: str, labels: dict) -> type:
    return wire_schema(
        component,
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "start", "end", "rho", "scale", "margin95", "rows"],
            "properties": {
                "name": {"type": "string", "enum": [name]},
                "start": DAY,
                "end": DAY,
                "rho": RHO,
                "scale": {"type": "number", "minimum": 0},
                "margin95": {"type": "integer", "minimum": 0, "description": "95% of counts are within this."},
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": [*labels, "count"],
                        "properties": {**labels, "count": COUNT},
                    },
                },
            },
        },
    )


RELEASE = wire_schema(
    "Release",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["release", "start", "end", "privacy", "tables"],
        "properties": {
            "release": MONTH,
            "start": DAY,
            "end": DAY,
            "privacy": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "unit",
                    "mechanism",
                    "rho",
                    "epsilon",
                    "delta",
                    "year",
                    "year_spent",
                    "year_cap",
                    "threshold",
                    "negative_counts",
                ],
                "properties": {
                    "unit": {"type": "string"},
                    "mechanism": {"type": "string"},
                    "rho": RHO,
                    "epsilon": {"type": "number", "minimum": 0},
                    "delta": {"type": "number", "minimum": 0},
                    "year": {"type": "integer"},
                    "year_spent": RHO,
                    "year_cap": RHO,
                    "threshold": {"type": "integer", "minimum": 1},
                    "negative_counts": {"type": "string"},
                },
            },
            "tables": {
                "type": "array",
                "description": "reports_by_category every month; the quarter's tables in a quarter's last month.",
                "items": {
                    "oneOf": [
                        _table(
                            "ReportsByCategory",
                            "reports_by_category",
                            {"category": {"type": "string", "enum": list(Category.values)}},
                        ),
                        _table(
                            "ReportsByGovernorate",
                            "reports_by_governorate",
                            {
                                "governorate": {"type": "string", "enum": list(GOVERNORATE_ROWS)},
                                "pcode": {"type": "string", "nullable": True, "description": "OCHA's, if any."},
                            },
                        ),
                        _table(
                            "PlacementsByRegion",
                            "placements_by_region",
                            {"region": {"type": "string", "enum": list(WIDER_REGIONS)}},
                        ),
                    ]
                },
            },
        },
    },
)
