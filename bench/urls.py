from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as app_urlpatterns
from reports.api import ReportsView
from reports.intake_writes import build_submission


class TrivialView(APIView):
    """The least a DRF POST endpoint can do: parse a small JSON body, answer 201."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        return Response({"ok": bool(request.data)}, status=201)


class UnstoredIntakeView(ReportsView):
    """BENCHMARK ONLY: ReportsView.post without its write. The same checks, parsing, sealing
    and receipt, then answered as if stored: no INSERT, no COMMIT, no triage message.
    Measured beside the real endpoint, it shows what storing a report durably costs."""

    def post(self, request):
        submission = build_submission(*self.checked(request.data))
        response = Response({"receipt": submission.receipt, "status": "received"}, status=201)
        response["Cache-Control"] = "no-store"  # as the real endpoint does
        return response


urlpatterns = [
    path("bench/trivial/", TrivialView.as_view()),
    path("bench/intake-unstored/", UnstoredIntakeView.as_view()),
    *app_urlpatterns,
]
