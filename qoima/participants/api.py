from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qoima.throttling import AnonymousThrottle, throttle

from . import services
from .identifiers import parse_bin, parse_identification_number, parse_iin
from .models import Organisation
from .selectors import user_role

PARSERS = {"iin": parse_iin, "bin": parse_bin, "any": parse_identification_number}


class NumberCheckIn(serializers.Serializer[Any]):
    number = serializers.CharField(max_length=32, trim_whitespace=True)
    kind = serializers.ChoiceField(choices=list(PARSERS), default="any")


class NumberCheckOut(serializers.Serializer[Any]):
    number = serializers.CharField()
    kind = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    bin_type = serializers.CharField(allow_null=True)


class IdentificationNumberCheckApi(APIView):
    """Check an IIN or BIN against the rules of LAW.md and say which rule fails."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonymousThrottle]

    @extend_schema(request=NumberCheckIn, responses={200: NumberCheckOut})
    def post(self, request: Request) -> Response:
        data_in = NumberCheckIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        number = data_in.validated_data["number"]
        try:
            parsed = PARSERS[data_in.validated_data["kind"]](number)
        except ValidationError as error:
            return Response(
                {"number": error.messages, "code": error.code}, status=status.HTTP_400_BAD_REQUEST
            )
        out = NumberCheckOut(
            {
                "number": parsed.number,
                "kind": parsed.kind.value,
                "date": parsed.date,
                "bin_type": parsed.bin_type.value if parsed.bin_type else None,
            }
        )
        return Response(out.data)


class IssuerRegistrationIn(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
    legal_name = serializers.CharField(max_length=255)
    identification_number = serializers.CharField(max_length=32)
    registered_address = serializers.CharField(max_length=500)
    permit_number = serializers.CharField(max_length=64)
    permit_authority = serializers.CharField(max_length=255)
    permit_issued_on = serializers.DateField()
    permit_expires_on = serializers.DateField(required=False, allow_null=True)
    permit_document = serializers.FileField(
        help_text="The permit (PDF, PNG or JPEG); compliance verifies the permit against it."
    )
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, min_length=8)


class OrganisationOut(serializers.ModelSerializer[Organisation]):
    class Meta:
        model = Organisation
        fields = ["id", "kind", "legal_name", "identification_number", "registered_address"]


class IssuerRegistrationApi(APIView):
    """Register an issuer organisation with its permit and first staff account.

    The permit is pending until a compliance officer has verified it against its document.
    """

    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser]
    # Counted with the registration pages: an answer tells whether a BIN / IIN is known.
    throttle_classes = [AnonymousThrottle, throttle("registration")]

    @extend_schema(request=IssuerRegistrationIn, responses={201: OrganisationOut})
    def post(self, request: Request) -> Response:
        data_in = IssuerRegistrationIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        organisation = services.organisation_register(**data_in.validated_data)
        return Response(OrganisationOut(organisation).data, status=status.HTTP_201_CREATED)


class MeOut(serializers.Serializer[Any]):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    organisation = serializers.IntegerField(allow_null=True, source="organisation_id")


class MeApi(APIView):
    @extend_schema(responses={200: MeOut})
    def get(self, request: Request) -> Response:
        data = MeOut(request.user).data
        data["role"] = user_role(request.user)
        return Response(data)
