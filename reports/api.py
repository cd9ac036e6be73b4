"""Reporter-facing API: public, unauthenticated, and blind to who is asking."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import intake_keys_active
from backend.crypto.encoding import b64url_encode
from backend.crypto.hpke import AEAD_NAME, KDF_NAME, Suite

class IntakeKeySerializer(serializers.Serializer):
    """Schema of one intake key in wire format v1 (documentation only)."""

    key_id = serializers.CharField()
    kem = serializers.ChoiceField(choices=[suite.value for suite in Suite])
    kdf = serializers.ChoiceField(choices=[KDF_NAME])
    aead = serializers.ChoiceField(choices=[AEAD_NAME])
    public_key = serializers.CharField(help_text="base64url, unpadded")


class IntakeKeysView(APIView):
    """Active intake public keys, for clients to encrypt reports to (wire format v1)."""

    # Public by design: reporters have no account. Nothing here is secret.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="intake_keys_list",
        responses={200: IntakeKeySerializer(many=True)},
        examples=[
            OpenApiExample(
                "One X25519 key",
                value=[
                    {
                        "key_id": "ik-3f9a0c1d2b4e",
                        "kem": "X25519",
                        "kdf": KDF_NAME,
                        "aead": AEAD_NAME,
                        "public_key": "base64url of 32 bytes",
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        keys = [
            {
                "key_id": key.key_id,
                "kem": key.suite,
                "kdf": KDF_NAME,
                "aead": AEAD_NAME,
                "public_key": b64url_encode(bytes(key.public_key)),
            }
            for key in intake_keys_active()
        ]
        response = Response(keys)
        response["Cache-Control"] = "public, max-age=300"
        return response
