from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as app_urlpatterns


class TrivialView(APIView):
    """The least a DRF POST endpoint can do: parse a small JSON body, answer 201."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        return Response({"ok": bool(request.data)}, status=201)


urlpatterns = [path("bench/trivial/", TrivialView.as_view()), *app_urlpatterns]
