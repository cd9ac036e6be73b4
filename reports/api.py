"""Reporter-facing API (wire format v1): public, unauthenticated or receipt-authenticated,
and blind to who is asking. Views parse and call one service each."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import APIException, Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import intake_keys_offered
from backend import budgets
from backend.crypto.encoding import b64url_encode, b64url_length
from backend.crypto.hpke import AEAD_NAME, KDF_NAME
from backend.pow import PowError, Proof, pow_challenge_issue, pow_check_shape, pow_required, pow_verify
from backend.schema import ANY_REQUEST_ERRORS, RETRY_AFTER, error_responses
from reports.envelope import Content, Envelope, parse_content, parse_report_envelope
from reports.intake import (
    IntakeError,
    evidence_add,
    followup_add,
    report_for_receipt,
    report_submit,
    report_withdraw,
    reporter_status,
)
from reports.intake_writes import proof_spent, spent_refusal
from reports.models import Report
from reports.parsers import BoundedJSONParser
from reports.schema import (
    EVIDENCE,
    EXAMPLE_CHALLENGE,
    EXAMPLE_CIPHERTEXT,
    EXAMPLE_REPLY,
    EXAMPLE_X25519_KEY,
    FOLLOW_UP,
    INTAKE_KEY,
    POW_CHALLENGE,
    RECEIPT,
    REPORT_ENVELOPE,
    REPORT_STATUS,
    STORED,
    WITHDRAWN,
)


def _header_text(raw: str) -> str:
    """A request header as the client meant it. WSGI hands a header's bytes over decoded as Latin-1; a client
    that sends UTF-8 (a receipt typed in Arabic-Indic or Persian digits) is read as UTF-8."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    try:
        # Servers that strip Unicode white space from header values (wsgiref, so runserver) cut a final
        # byte 0xA0, read as a no-break space: the last byte of ٠ (U+0660, Arabic-Indic zero).
        return (raw + "\xa0").encode("latin-1").decode("utf-8")
    except UnicodeError:
        return raw


class UnknownReceipt(APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    # Translators: the receipt is the code a reporter was given when the report was sent.
    default_detail = gettext_lazy("Unknown receipt.")
    default_code = "unknown_receipt"


class IntakeRefused(APIException):
    def __init__(self, error: IntakeError) -> None:
        self.status_code = error.status
        self.default_code = error.code
        # str(): the message (perhaps lazy, made in another request's thread) in this request's language.
        super().__init__(detail={error.field: str(error)}, code=error.code)


class TryLater(Throttled):
    """429 with Retry-After. DRF's own Throttled puts the wait into its second sentence before looking that
    sentence up, so it is never translated; here the whole message is one translatable text."""

    def __init__(self, wait: int = 60) -> None:
        super().__init__(
            detail=ngettext(
                "Request was throttled. Expected available in %(wait)d second.",
                "Request was throttled. Expected available in %(wait)d seconds.",
                wait,
            )
            % {"wait": wait}
        )
        self.wait = wait  # read by DRF's exception handler for the Retry-After header


class PublicView(APIView):
    """No account, no session, no cookies: reporters are anonymous by design."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [BoundedJSONParser]

    def proof(self, data: object) -> Proof | None:
        """The verified (not yet spent) proof of work in `data["pow"]`, when the server asks for one. When it
        does not, a `pow` member sent anyway is ignored, but only if it has a proof's shape."""
        try:
            if not pow_required():
                if isinstance(data, dict) and "pow" in data:
                    pow_check_shape(data["pow"])
                return None
            proof = pow_verify(data.get("pow") if isinstance(data, dict) else None)
        except PowError as exc:
            raise ValidationError({"pow": str(exc)}) from None
        # A replay is refused here, at the cost of one lookup, not after its body was parsed, sealed and written.
        if proof_spent(proof):
            raise IntakeRefused(spent_refusal())
        return proof


class ReceiptView(PublicView):
    """Authorization: Receipt <receipt>. A wrong, unknown, withdrawn or malformed receipt
    gets the same 401 after the same work. A right receipt is never refused: a flood of
    failures can only turn further failures into 429, never lock a reporter out."""

    def report(self, request: Request) -> Report:
        scheme, _, value = _header_text(request.META.get("HTTP_AUTHORIZATION", "")).partition(" ")
        report = report_for_receipt(value.strip() if scheme.lower() == "receipt" else "")
        if report is None:
            if budgets.RECEIPT_FAILURES.spend() > budgets.RECEIPT_FAILURES.cap:
                raise TryLater(wait=60)
            raise UnknownReceipt()
        return report

    def handle_exception(self, exc):
        """A 401 says which scheme to send (RFC 9110 section 15.5.2): Receipt."""
        response = super().handle_exception(exc)
        if isinstance(exc, UnknownReceipt):
            response["WWW-Authenticate"] = "Receipt"
        return response


# The receipt is sent as `Authorization: Receipt <receipt>` (settings.SPECTACULAR_SETTINGS: securitySchemes).
RECEIPT_AUTH = [{"Receipt": []}]
WWW_AUTHENTICATE_RECEIPT = OpenApiParameter(
    "WWW-Authenticate",
    str,
    OpenApiParameter.HEADER,
    required=True,
    response=[401],
    enum=["Receipt"],
    description="The scheme to send: Authorization: Receipt <receipt>.",
)
# Errors each kind of operation can answer, besides those of any request.
BODY_ERRORS = ("parse_error", "invalid", "payload_too_large", "unsupported_media_type")
RECEIPT_ERRORS = ("unknown_receipt", "throttled")


def intake_keys_document(keys) -> list[dict]:
    """GET /api/v1/intake-keys/'s answer for `keys` (the self-contained page pins the same document)."""
    return [
        {
            "key_id": key.key_id,
            "kem": key.suite,
            "kdf": KDF_NAME,
            "aead": AEAD_NAME,
            "public_key": b64url_encode(bytes(key.public_key)),
        }
        for key in keys
    ]


class IntakeKeysView(PublicView):
    """Active intake public keys, for clients to encrypt reports to."""

    @extend_schema(
        operation_id="intake_keys_list",
        description="The intake keys to encrypt to, newest first (may be empty: then send nothing).",
        responses={
            200: OpenApiResponse(INTAKE_KEY(many=True), description="Cache-Control: public, max-age=300."),
            **error_responses(*ANY_REQUEST_ERRORS),
        },
        examples=[
            OpenApiExample(
                "One X25519 key",
                # drf-spectacular lists a list's example: the value is one item.
                value={
                    "key_id": "ik-3f9a0c1d2b4e",
                    "kem": "X25519",
                    "kdf": KDF_NAME,
                    "aead": AEAD_NAME,
                    "public_key": EXAMPLE_X25519_KEY,
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request) -> Response:
        response = Response(intake_keys_document(intake_keys_offered()))
        response["Cache-Control"] = "public, max-age=300"
        return response


class PowView(PublicView):
    @extend_schema(
        operation_id="pow_challenge",
        responses={
            200: OpenApiResponse(POW_CHALLENGE, description="Cache-Control: no-store."),
            **error_responses(*ANY_REQUEST_ERRORS),
        },
        description="Find a decimal nonce with SHA-256(challenge bytes || nonce) starting with `difficulty` zero "
        'bits; send it once as "pow". Difficulty 0: no proof needed.',
        examples=[
            OpenApiExample(
                "Challenge",
                response_only=True,
                status_codes=["200"],
                value={"challenge": EXAMPLE_CHALLENGE, "difficulty": 18, "expires_at": "2026-11-21T10:10:00Z"},
            ),
            OpenApiExample(
                "No proof needed",
                response_only=True,
                status_codes=["200"],
                value={"challenge": "", "difficulty": 0, "expires_at": "2026-11-21T10:10:00Z"},
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        challenge = pow_challenge_issue()
        response = Response(
            {"challenge": challenge.challenge, "difficulty": challenge.difficulty, "expires_at": challenge.expires_at}
        )
        response["Cache-Control"] = "no-store"
        return response


class ReportsView(ReceiptView):
    """POST submits (no receipt yet); DELETE withdraws (receipt)."""

    max_body_bytes = b64url_length(settings.SANAD_MAX_REPORT_BYTES) + 16 * 1024

    @extend_schema(
        operation_id="report_submit",
        description="Submit a report. The answer comes once the report is committed; the receipt is in it only.",
        request=REPORT_ENVELOPE,
        responses={
            201: OpenApiResponse(RECEIPT, description="Cache-Control: no-store."),
            **error_responses(*BODY_ERRORS, *ANY_REQUEST_ERRORS, "duplicate", "throttled"),
        },
        parameters=[RETRY_AFTER],
        examples=[
            OpenApiExample(
                "Envelope",
                request_only=True,
                value={
                    "version": 1,
                    "key_id": "ik-3f9a0c1d2b4e",
                    "ciphertext": EXAMPLE_CIPHERTEXT,
                    "triage": {
                        "category": "phone_threat",
                        "governorate": "IQ-DQ",
                        "incident_month": "2026-11",
                        "immediate_danger": False,
                        "needs_relocation": False,
                        "flags": ["death_threat"],
                        "language": "ar",
                        "indicators": [{"type": "phone", "value": "0770 123 4567"}],
                    },
                    "reply_public_key": EXAMPLE_X25519_KEY,
                    "pow": {"challenge": EXAMPLE_CHALLENGE, "nonce": "193847"},
                },
            ),
            OpenApiExample(
                "Submitted",
                value={"receipt": "1234-5678-9012-3456-7890", "status": "received"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        envelope, proof = self.checked(request.data)
        try:
            _, receipt = report_submit(envelope=envelope, proof=proof)
        except IntakeError as exc:
            raise IntakeRefused(exc) from None
        response = Response({"receipt": receipt, "status": "received"}, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    def checked(self, data: object) -> tuple[Envelope, Proof | None]:
        """The validated envelope and its verified (not yet spent) proof, or the 4xx to answer instead."""
        proof = self.proof(data)  # first: everything after costs the server more than this
        # A backstop counted only in paid reports: a flood must pay to reach it.
        if budgets.REPORTS.exceeded():
            raise TryLater(wait=60)
        return parse_report_envelope(data, max_bytes=settings.SANAD_MAX_REPORT_BYTES), proof

    @extend_schema(
        operation_id="report_withdraw",
        description="Withdraw the report: what it said is deleted at once; from then on the receipt gets 401.",
        auth=RECEIPT_AUTH,
        parameters=[RETRY_AFTER, WWW_AUTHENTICATE_RECEIPT],
        responses={200: WITHDRAWN, **error_responses(*RECEIPT_ERRORS, *ANY_REQUEST_ERRORS)},
        examples=[OpenApiExample("Withdrawn", value={"status": "withdrawn"}, response_only=True, status_codes=["200"])],
    )
    def delete(self, request: Request) -> Response:
        report_withdraw(report=self.report(request))
        return Response({"status": "withdrawn"})


class ReportStatusView(ReceiptView):
    @extend_schema(
        operation_id="report_status",
        auth=RECEIPT_AUTH,
        parameters=[RETRY_AFTER, WWW_AUTHENTICATE_RECEIPT],
        responses={
            200: OpenApiResponse(REPORT_STATUS, description="Cache-Control: no-store."),
            **error_responses(*RECEIPT_ERRORS, *ANY_REQUEST_ERRORS),
        },
        examples=[
            OpenApiExample(
                "In review, one reply",
                response_only=True,
                status_codes=["200"],
                value={"status": "in_review", "updated": "2026-11-21", "replies": [EXAMPLE_REPLY]},
            )
        ],
    )
    def get(self, request: Request) -> Response:
        report = self.report(request)
        replies = [b64url_encode(bytes(reply.ciphertext)) for reply in report.replies.order_by("created_at")]
        # The day only: a precise time would help match a reporter's phone to server activity.
        response = Response(
            {"status": reporter_status(report), "updated": report.updated_at.date().isoformat(), "replies": replies}
        )
        response["Cache-Control"] = "no-store"
        return response


class _EncryptedContentView(ReceiptView):
    """POST {"key_id", "ciphertext"} to a report: a follow-up or a piece of evidence."""

    max_raw_bytes_setting: str
    add = staticmethod(lambda **kwargs: None)

    def post(self, request: Request) -> Response:
        report = self.report(request)
        content, proof = self.checked(request.data)
        size = len(content.ciphertext)
        if budgets.UPLOAD_BYTES.exceeded(adding=size):
            raise TryLater(wait=60)
        try:
            type(self).add(report=report, content=content, proof=proof)
        except IntakeError as exc:
            raise IntakeRefused(exc) from None
        budgets.UPLOAD_BYTES.spend(size)
        return Response({"status": "stored"}, status=status.HTTP_201_CREATED)

    def checked(self, data: object) -> tuple[Content, Proof | None]:
        """The validated body and its verified (not yet spent) proof, or the 4xx to answer instead."""
        proof = self.proof(data)
        return parse_content(data, max_bytes=getattr(settings, self.max_raw_bytes_setting)), proof


def _content_schema(operation_id: str, request, description: str):
    return extend_schema(
        operation_id=operation_id,
        description=description,
        auth=RECEIPT_AUTH,
        parameters=[RETRY_AFTER, WWW_AUTHENTICATE_RECEIPT],
        request=request,
        examples=[
            OpenApiExample(
                "Encrypted",
                request_only=True,
                value={"key_id": "ik-3f9a0c1d2b4e", "ciphertext": EXAMPLE_CIPHERTEXT},
            ),
            OpenApiExample("Stored", response_only=True, status_codes=["201"], value={"status": "stored"}),
        ],
        responses={
            201: STORED,
            **error_responses(*RECEIPT_ERRORS, *BODY_ERRORS, *ANY_REQUEST_ERRORS, "duplicate", "too_many"),
        },
    )


@extend_schema_view(post=_content_schema("followup_add", FOLLOW_UP, "Add a follow-up to the report."))
class FollowUpsView(_EncryptedContentView):
    max_body_bytes = b64url_length(settings.SANAD_MAX_FOLLOWUP_BYTES) + 1024
    max_raw_bytes_setting = "SANAD_MAX_FOLLOWUP_BYTES"
    add = staticmethod(followup_add)


@extend_schema_view(post=_content_schema("evidence_add", EVIDENCE, "Add an evidence file to the report."))
class EvidenceView(_EncryptedContentView):
    max_body_bytes = b64url_length(settings.SANAD_MAX_EVIDENCE_BYTES) + 1024
    max_raw_bytes_setting = "SANAD_MAX_EVIDENCE_BYTES"
    add = staticmethod(evidence_add)
