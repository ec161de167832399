"""The issuance API: the same services as the pages, for issuers', officers' and holders'
own systems. Every answer to bad input is a 4xx with a translated ``detail``."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qoima.accounts.second_factor import RecentlyVerified
from qoima.chain.amounts import units_to_amount
from qoima.errors import InvalidInput
from qoima.http import JSONObjectParser
from qoima.participants.access import api_role_required, current_user
from qoima.participants.models import Role
from qoima.throttling import throttle

from . import access, selectors, services
from .models import Application, AssetClass, Distribution, Document, Redemption

ISSUER, OFFICER, HOLDER = Role.ISSUER_STAFF, Role.COMPLIANCE_OFFICER, Role.HOLDER


class ApplicationIn(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    symbol = serializers.CharField(max_length=11)
    asset_class = serializers.ChoiceField(choices=AssetClass.choices)
    description = serializers.CharField()
    asset_identifier = serializers.CharField(max_length=128)
    decimals = serializers.IntegerField(min_value=0, max_value=18)
    backed_amount = serializers.CharField(max_length=100, help_text="In whole units, e.g. 1000.50")
    mint_amount = serializers.CharField(max_length=100)


class DocumentIn(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Document.Kind.choices)
    file = serializers.FileField()
    number = serializers.CharField(max_length=64, required=False, default="")
    dated_on = serializers.DateField(required=False, allow_null=True, default=None)
    signatory = serializers.CharField(max_length=200, required=False, default="")
    title = serializers.CharField(max_length=200, required=False, default="")


class ApproveIn(serializers.Serializer[Any]):
    items = serializers.ListField(child=serializers.IntegerField(), help_text="Art. 5 items 1-7")
    note = serializers.CharField(required=False, default="", allow_blank=True)


class NoteIn(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, default="", allow_blank=True)


class ReasonIn(serializers.Serializer[Any]):
    reason = serializers.CharField()


class SendIn(serializers.Serializer[Any]):
    receiver = serializers.CharField(max_length=32, help_text="IIN / BIN or holder id")
    amount = serializers.CharField(max_length=100)


class DistributionFileIn(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV: IIN / BIN or holder id, amount")


class AmountIn(serializers.Serializer[Any]):
    amount = serializers.CharField(max_length=100)


class ReferenceIn(serializers.Serializer[Any]):
    reference = serializers.CharField(max_length=255)


def _valid(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    if not serializer.is_valid():
        field, errors = next(iter(serializer.errors.items()))
        raise InvalidInput(" ".join(str(e) for e in errors), field=str(field))
    return dict(serializer.validated_data)


def _application_out(application: Application) -> dict[str, Any]:
    issue, mint = application.issue_operation, application.mint_operation
    return {
        "id": application.pk,
        "name": application.name,
        "symbol": application.symbol,
        "asset_class": application.asset_class,
        "asset_identifier": application.asset_identifier,
        "decimals": application.decimals,
        "backed_amount": str(units_to_amount(application.backed_units, application.decimals)),
        "mint_amount": str(units_to_amount(application.mint_units, application.decimals)),
        "status": application.status,
        "status_reason": application.failure() or application.status_reason,
        "revision": application.revision,
        "issuer": application.organisation.identification_number,
        "permit": application.permit.number if application.permit else None,
        "token": application.token_address or None,
        "issue_state": issue.state if issue else None,
        "mint_state": mint.state if mint else None,
        "documents": [
            {"id": d.pk, "kind": d.kind, "sha256": d.sha256, "dated_on": d.dated_on}
            for d in selectors.current_documents_shown(application)
        ],
    }


def _visible(request: Request, application_id: int) -> Application:
    return access.application_for(
        current_user(request),
        application_id,
        selectors.applications_listed(Application.objects.all()),
    )


class ApplicationListApi(APIView):
    def get_permissions(self) -> list[Any]:
        roles = (ISSUER,) if self.request.method == "POST" else (ISSUER, OFFICER)
        return [IsAuthenticated(), api_role_required(*roles)()]

    @extend_schema(
        responses={200: {"type": "array", "items": {"type": "object"}}},
        summary="Applications the caller may see",
        operation_id="applications_list",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.applications_listed(access.applications_visible_to(current_user(request)))
        return Response([_application_out(a) for a in rows[:200]])

    @extend_schema(
        request=ApplicationIn, responses=OpenApiTypes.OBJECT, summary="Draft an application"
    )
    def post(self, request: Request) -> Response:
        data = services.ApplicationData(**_valid(ApplicationIn(data=request.data)))
        application = services.application_create(actor=current_user(request), data=data)
        return Response(_application_out(application), status=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    def get_permissions(self) -> list[Any]:
        roles = (ISSUER,) if self.request.method == "PUT" else (ISSUER, OFFICER)
        return [IsAuthenticated(), api_role_required(*roles)()]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One application")
    def get(self, request: Request, application_id: int) -> Response:
        return Response(_application_out(_visible(request, application_id)))

    @extend_schema(request=ApplicationIn, responses=OpenApiTypes.OBJECT, summary="Change a draft")
    def put(self, request: Request, application_id: int) -> Response:
        data = services.ApplicationData(**_valid(ApplicationIn(data=request.data)))
        application = services.application_update(
            actor=current_user(request), application_id=application_id, data=data
        )
        return Response(_application_out(application))


class DocumentApi(APIView):
    permission_classes = [IsAuthenticated, api_role_required(ISSUER)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=DocumentIn, responses=OpenApiTypes.OBJECT, summary="Upload a document (multipart)"
    )
    def post(self, request: Request, application_id: int) -> Response:
        data = _valid(DocumentIn(data=request.data))
        upload = data.pop("file")
        document = services.document_add(
            actor=current_user(request),
            application_id=application_id,
            data=services.DocumentData(**data),
            upload=upload,
        )
        return Response(
            {"id": document.pk, "sha256": document.sha256, "size": document.size},
            status=status.HTTP_201_CREATED,
        )


def _action(
    roles: tuple[Role, ...],
    serializer: type[serializers.Serializer[Any]] | None,
    call: Any,
    *,
    sensitive: bool = False,
) -> type[APIView]:
    """An endpoint that runs one review action and answers with the application; a
    ``sensitive`` one needs both factors proved in the last few minutes."""

    class ActionApi(APIView):
        permission_classes = [
            IsAuthenticated,
            api_role_required(*roles),
            *([RecentlyVerified] if sensitive else []),
        ]

        @extend_schema(request=serializer, responses={200: OpenApiTypes.OBJECT})
        def post(self, request: Request, application_id: int) -> Response:
            data = _valid(serializer(data=request.data)) if serializer else {}
            application = call(current_user(request), application_id, data)
            return Response(_application_out(application))

    return ActionApi


SubmitApi = _action(
    (ISSUER,), None, lambda u, pk, _d: services.application_submit(actor=u, application_id=pk)
)
ApproveApi = _action(
    (OFFICER,),
    ApproveIn,
    lambda u, pk, d: services.application_approve(
        officer=u, application_id=pk, confirmed_items=d["items"], note=d["note"]
    ),
)
ConfirmApi = _action(
    (OFFICER,),
    NoteIn,
    lambda u, pk, d: services.application_confirm(officer=u, application_id=pk, note=d["note"]),
    sensitive=True,
)
RejectApi = _action(
    (OFFICER,),
    ReasonIn,
    lambda u, pk, d: services.application_reject(officer=u, application_id=pk, reason=d["reason"]),
)
RequestChangesApi = _action(
    (OFFICER,),
    ReasonIn,
    lambda u, pk, d: services.application_request_changes(
        officer=u, application_id=pk, reason=d["reason"]
    ),
)


def _distribution_out(distribution: Distribution) -> dict[str, Any]:
    progress = selectors.distribution_progress(distribution)
    return {
        "id": distribution.pk,
        "status": distribution.status,
        "rows": distribution.row_count,
        "confirmed": progress.confirmed,
        "failed": progress.failed,
        "errors": [
            {"line": error.line, "reason": error.reason, "codes": error.codes}
            for error in selectors.distribution_errors(distribution)
        ],
    }


def _idempotency_key(request: Request) -> str:
    return str(request.headers.get("Idempotency-Key", ""))


class DistributionCreateApi(APIView):
    """One holder (JSON ``receiver``, ``amount``) or a CSV ``file`` (multipart)."""

    permission_classes = [IsAuthenticated, api_role_required(ISSUER)]
    parser_classes = [JSONObjectParser, MultiPartParser, FormParser]
    throttle_classes = [throttle("recipient")]

    @extend_schema(
        request=SendIn, responses={202: OpenApiTypes.OBJECT}, summary="Send units to holders"
    )
    def post(self, request: Request, application_id: int) -> Response:
        user = current_user(request)
        if "file" in request.data:
            # A ``file`` that is not an upload (a JSON string, an empty part) is refused here.
            upload = _valid(DistributionFileIn(data=request.data))["file"]
            distribution = services.distribution_upload(
                actor=user,
                application_id=application_id,
                upload=upload,
                idempotency_key=_idempotency_key(request),
            )
        else:
            data = _valid(SendIn(data=request.data))
            distribution = services.distribution_send(
                actor=user,
                application_id=application_id,
                idempotency_key=_idempotency_key(request),
                **data,
            )
        return Response(_distribution_out(distribution), status=status.HTTP_202_ACCEPTED)


class DistributionDetailApi(APIView):
    permission_classes = [IsAuthenticated, api_role_required(ISSUER)]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="A distribution and its progress")
    def get(self, request: Request, distribution_id: int) -> Response:
        distribution = access.distribution_for(current_user(request), distribution_id)
        return Response(_distribution_out(distribution))


def _redemption_out(redemption: Redemption) -> dict[str, Any]:
    return {
        "id": redemption.pk,
        "asset": redemption.application_id,
        "amount": str(units_to_amount(redemption.amount, redemption.application.decimals)),
        "status": redemption.status,
        "reference": redemption.fulfilment_reference,
        "refusal_reason": redemption.failure() or redemption.refusal_reason,
    }


class RedemptionCreateApi(APIView):
    permission_classes = [IsAuthenticated, api_role_required(HOLDER)]

    @extend_schema(
        request=AmountIn, responses=OpenApiTypes.OBJECT, summary="Ask the issuer to redeem units"
    )
    def post(self, request: Request, application_id: int) -> Response:
        data = _valid(AmountIn(data=request.data))
        redemption = services.redemption_request(
            actor=current_user(request), application_id=application_id, amount=data["amount"]
        )
        return Response(_redemption_out(redemption), status=status.HTTP_201_CREATED)


class RedemptionFulfilApi(APIView):
    permission_classes = [IsAuthenticated, api_role_required(ISSUER)]

    @extend_schema(
        request=ReferenceIn,
        responses={200: OpenApiTypes.OBJECT},
        summary="Fulfilled: burn the units",
    )
    def post(self, request: Request, redemption_id: int) -> Response:
        data = _valid(ReferenceIn(data=request.data))
        redemption = services.redemption_fulfil(
            actor=current_user(request), redemption_id=redemption_id, reference=data["reference"]
        )
        return Response(_redemption_out(redemption))


class RedemptionRefuseApi(APIView):
    permission_classes = [IsAuthenticated, api_role_required(ISSUER)]

    @extend_schema(
        request=ReasonIn, responses={200: OpenApiTypes.OBJECT}, summary="Refuse, with the reason"
    )
    def post(self, request: Request, redemption_id: int) -> Response:
        data = _valid(ReasonIn(data=request.data))
        redemption = services.redemption_refuse(
            actor=current_user(request), redemption_id=redemption_id, reason=data["reason"]
        )
        return Response(_redemption_out(redemption))
