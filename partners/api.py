"""The partners' API: published releases, with `Authorization: Token <token>`.

A release is served as the bytes stored when it was built (partners.stats), so every fetch and every
partner gets the same JSON, or the same CSV with its HXL hashtag row (`?format=csv`, or `Accept:
text/csv`). There is nothing to query: releases, not queries, so that repeated questions cannot average
the noise away.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.schema import ANY_REQUEST_ERRORS, error_responses, wire_schema
from partners.models import PartnerToken, Release
from partners.schema import MONTH, RELEASE
from partners.stats import StatsError, month_start
from partners.tokens import token_authenticate


class InvalidToken(AuthenticationFailed):
    default_code = "invalid_token"
    default_detail = gettext_lazy("A valid partner token is needed: Authorization: Token <token>.")


class PartnerTokenAuthentication(BaseAuthentication):
    """Authorization: Token <token>. Missing, wrong, expired and revoked alike: the same 401."""

    def authenticate(self, request: Request):
        scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        token = token_authenticate(value.strip()) if scheme.lower() == "token" else None
        if token is None:
            raise InvalidToken()
        return (token.partner, token)

    def authenticate_header(self, request: Request) -> str:
        return "Token"


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    """How the schema names the partners' authentication: the Authorization header, "Token <token>"."""

    target_class = PartnerTokenAuthentication
    name = "PartnerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <token>: a partner's token, issued by Sanad's sysadmins.",
        }


class IsPartner(BasePermission):
    def has_permission(self, request: Request, view) -> bool:
        return isinstance(request.auth, PartnerToken)


class CSVRenderer(BaseRenderer):
    """Lets content negotiation choose CSV; the views send the stored bytes themselves."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class PartnerView(APIView):
    authentication_classes = [PartnerTokenAuthentication]
    permission_classes = [IsPartner]
    renderer_classes = [JSONRenderer, CSVRenderer]

    def handle_exception(self, exc):
        """Errors are JSON, whatever was asked for: the CSV renderer only passes a release's stored bytes on
        (an error rendered by it was the error object's keys run together, as text/csv)."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


RELEASE_EXAMPLE = {
    "release": "2026-12",
    "start": "2026-12-01",
    "end": "2026-12-31",
    "privacy": {
        "unit": "one report",
        "mechanism": "discrete Gaussian under zero-concentrated DP (OpenDP 0.16.0)",
        "rho": "0.049999999998",
        "epsilon": 1.4716,
        "delta": 1e-06,
        "year": 2026,
        "year_spent": "0.599999999998",
        "year_cap": "0.6",
        "threshold": 11,
        "negative_counts": "published as 0",
    },
    "tables": [
        {
            "name": "reports_by_category",
            "start": "2026-12-01",
            "end": "2026-12-31",
            "rho": "0.016666666666",
            "scale": 5.477226,
            "margin95": 12,
            "rows": [{"category": "phone_threat", "count": 41}, {"category": "kidnapping_attempt", "count": "<11"}],
        },
        {
            "name": "reports_by_governorate",
            "start": "2026-10-01",
            "end": "2026-12-31",
            "rho": "0.016666666666",
            "scale": 5.477226,
            "margin95": 12,
            "rows": [
                {"governorate": "IQ-BG", "pcode": "IQG08", "count": 57},
                {"governorate": "IQ-KR", "pcode": None, "count": "<11"},
            ],
        },
        {
            "name": "placements_by_region",
            "start": "2026-10-01",
            "end": "2026-12-31",
            "rho": "0.016666666666",
            "scale": 5.477226,
            "margin95": 12,
            "rows": [{"region": "abroad", "count": "<11"}, {"region": "kri", "count": 14}],
        },
    ],
}
CSV_EXAMPLE = (
    "table,date_start,date_end,category,adm1_code,adm1_pcode,destination,count,margin95\r\n"
    "#meta+table,#date+start,#date+end,#event+type,#adm1+code+v_iso2,#adm1+code+v_pcode,#loc+dest+code,"
    "#event+num,#meta+moe95\r\n"
    "reports_by_category,2026-12-01,2026-12-31,phone_threat,,,,41,12\r\n"
    "reports_by_governorate,2026-10-01,2026-12-31,,IQ-BG,IQG08,,57,12\r\n"
)
WWW_AUTHENTICATE = OpenApiParameter(
    "WWW-Authenticate",
    str,
    OpenApiParameter.HEADER,
    required=True,
    response=[401],
    enum=["Token"],
    description="The scheme to send: Authorization: Token <token>.",
)
RELEASE_ITEM = wire_schema(
    "ReleaseListItem",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["release", "built", "sha256", "json", "csv"],
        "properties": {
            "release": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "description": "YYYY-MM."},
            "built": {"type": "string", "format": "date"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "Of the release's JSON."},
            "json": {"type": "string", "description": "Its address, as JSON."},
            "csv": {"type": "string", "description": "Its address, as CSV with an HXL hashtag row."},
        },
    },
)


class ReleasesView(PartnerView):
    renderer_classes = [JSONRenderer]  # the list is JSON only (?format=csv is a 404)

    @extend_schema(
        operation_id="stats_releases_list",
        summary="Published monthly releases, newest first",
        responses={
            200: RELEASE_ITEM(many=True),
            **error_responses("invalid_token", *ANY_REQUEST_ERRORS),
        },
        parameters=[WWW_AUTHENTICATE],
        examples=[
            OpenApiExample(
                "One release",
                response_only=True,
                status_codes=["200"],
                value={
                    "release": "2026-12",
                    "built": "2027-01-03",
                    "sha256": "9f2c6e1d0b7a4c3e5f8a2d1b9c0e7f6a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a",
                    "json": "/api/v1/stats/releases/2026-12/",
                    "csv": "/api/v1/stats/releases/2026-12/?format=csv",
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        rows = Release.objects.values_list("month", "built_at", "sha256")
        return Response(
            [
                {
                    "release": month.strftime("%Y-%m"),
                    "built": built.date().isoformat(),
                    "sha256": sha256,
                    "json": f"/api/v1/stats/releases/{month:%Y-%m}/",
                    "csv": f"/api/v1/stats/releases/{month:%Y-%m}/?format=csv",
                }
                for month, built, sha256 in rows
            ]
        )


# A release never changes once published: this process keeps its bytes after the first fetch.
_releases: dict = {}


def forget_releases() -> None:
    _releases.clear()


def _published(first) -> tuple[str, bytes, bytes] | None:
    if first not in _releases:
        row = Release.objects.filter(month=first).values_list("sha256", "body_json", "body_csv").first()
        if row is None:
            return None
        _releases[first] = (row[0], bytes(row[1]), bytes(row[2]))
    return _releases[first]


class ReleaseView(PartnerView):
    @extend_schema(
        operation_id="stats_release",
        summary="One month's release, as JSON or as CSV with an HXL hashtag row",
        description="`month` is YYYY-MM; a month with no release (or not a month) is a 404.",
        parameters=[
            OpenApiParameter(
                "month", str, OpenApiParameter.PATH, pattern=MONTH["pattern"], description="The release's month."
            ),
            WWW_AUTHENTICATE,
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                RELEASE,
                examples=[OpenApiExample("A quarter's last month", value=RELEASE_EXAMPLE)],
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, examples=[OpenApiExample("CSV with HXL", value=CSV_EXAMPLE)]
            ),
            **error_responses("invalid_token", *ANY_REQUEST_ERRORS),
        },
    )
    def get(self, request: Request, month: str) -> HttpResponse:
        try:
            first = month_start(month)
        except StatsError:
            raise NotFound() from None
        published = _published(first)
        if published is None:
            raise NotFound()
        sha256, body_json, body_csv = published
        csv = request.accepted_renderer.format == "csv"
        response = HttpResponse(
            body_csv if csv else body_json, content_type="text/csv; charset=utf-8" if csv else "application/json"
        )
        response["ETag"] = f'"{sha256}{"-csv" if csv else ""}"'
        response["Cache-Control"] = "private, max-age=3600"
        if csv:
            response["Content-Disposition"] = f'attachment; filename="sanad-{first:%Y-%m}.csv"'
        return response
