"""The member's tenge through the API: balances, the statement of postings, deposits and
withdrawals. Amounts are integers in tiyn (1/100 tenge); an amount a client writes is text in
tenge, read by the same rule as the page (``1234.50`` or ``1 234,50``)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qoima.errors import InvalidInput
from qoima.participants.access import api_role_required, current_user
from qoima.participants.models import Role

from ..models import CashAccount, Member, Posting, StatementLine, Withdrawal
from ..selectors import cash as selectors
from ..services import treasury as services

MEMBER_ROLES = (Role.HOLDER, Role.ISSUER_STAFF)
POSTINGS_PAGE = 100

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The client's key for this withdrawal: the same request with the same key "
    "returns the first withdrawal and holds nothing again.",
)


def _member(request: Request) -> Member:
    user = current_user(request)
    return selectors.member_of(user) or services.member_join(actor=user)


class BankAccountOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    iban = serializers.CharField()
    holder_name = serializers.CharField()


class BalancesOut(serializers.Serializer[Any]):
    currency = serializers.CharField(help_text="Always KZT.")
    payment_reference = serializers.CharField(
        help_text="Write it in the purpose of every bank transfer to the platform."
    )
    available = serializers.IntegerField(help_text="Tiyn the member may trade or withdraw.")
    held = serializers.IntegerField(help_text="Tiyn held for open orders and withdrawals.")
    pending = serializers.IntegerField(help_text="Tiyn paid for trades awaiting settlement.")
    bank_accounts = BankAccountOut(many=True)


class BalancesApi(APIView):
    """The member's cash (opened on first use) and its registered bank accounts."""

    permission_classes = [IsAuthenticated, api_role_required(*MEMBER_ROLES)]

    @extend_schema(responses={200: BalancesOut})
    def get(self, request: Request) -> Response:
        member = _member(request)
        balances = selectors.member_balances(member)
        return Response(
            BalancesOut(
                {
                    "currency": services.CURRENCY,
                    "payment_reference": member.payment_reference,
                    **balances,
                    "bank_accounts": list(selectors.member_bank_accounts(member)),
                }
            ).data
        )


class LegOut(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The leg's id; ask older ones with ?before=<id>.")
    posting = serializers.UUIDField(source="posting_id")
    kind = serializers.ChoiceField(source="posting.kind", choices=Posting.Kind.choices)
    kind_label = serializers.CharField(source="posting.get_kind_display")
    account = serializers.ChoiceField(source="account.kind", choices=CashAccount.Kind.choices)
    amount = serializers.IntegerField(help_text="Tiyn: positive credits the account.")
    reference = serializers.CharField(source="posting.reference")
    created_at = serializers.DateTimeField(source="posting.created_at")


class PostingsOut(serializers.Serializer[Any]):
    results = LegOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="The next (older) page, if any.")


class PostingsApi(APIView):
    """Every posting leg of the member's accounts, newest first, a page at a time."""

    permission_classes = [IsAuthenticated, api_role_required(*MEMBER_ROLES)]

    @extend_schema(
        parameters=[OpenApiParameter("before", OpenApiTypes.INT, description="A leg id.")],
        responses={200: PostingsOut},
    )
    def get(self, request: Request) -> Response:
        legs, older = selectors.legs_older_than(
            request.query_params.get("before", ""),
            selectors.member_legs(_member(request)),
            POSTINGS_PAGE,
        )
        return Response(
            PostingsOut(
                {
                    "results": legs,
                    "next": (
                        request.build_absolute_uri(f"{request.path}?before={older}")
                        if older
                        else None
                    ),
                }
            ).data
        )


class WithdrawalIn(serializers.Serializer[Any]):
    iban = serializers.CharField(
        max_length=42, help_text="One of the member's registered bank accounts."
    )
    amount = serializers.CharField(max_length=40, help_text="In tenge, e.g. 1234.50.")


class WithdrawalOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="Tiyn.")
    iban = serializers.CharField(source="bank_account.iban")
    state = serializers.ChoiceField(choices=Withdrawal.State.choices)
    state_label = serializers.CharField(source="get_state_display")
    bank_reference = serializers.CharField(help_text="The bank's reference once paid.")
    reason = serializers.CharField(help_text="Why it was refused, if it was.")
    requested_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)


class WithdrawalListApi(APIView):
    """The member's withdrawals, newest first; a new one to a registered bank account (the
    amount is held at once)."""

    permission_classes = [IsAuthenticated, api_role_required(*MEMBER_ROLES)]

    @extend_schema(responses={200: WithdrawalOut(many=True)})
    def get(self, request: Request) -> Response:
        withdrawals = selectors.member_withdrawals(_member(request))[:200]
        return Response(WithdrawalOut(withdrawals, many=True).data)

    @extend_schema(
        request=WithdrawalIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: WithdrawalOut, 200: WithdrawalOut},
    )
    def post(self, request: Request) -> Response:
        data_in = WithdrawalIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        member = _member(request)
        iban = "".join(data_in.validated_data["iban"].split()).upper()
        account = selectors.member_bank_accounts(member).filter(iban=iban).first()
        if account is None:
            raise InvalidInput(
                _("Withdrawals are paid only to a bank account registered to you."),
                field="iban",
                code="iban_not_yours",
            )
        withdrawal, created = services.withdrawal_request(
            actor=current_user(request),
            bank_account_id=account.pk,
            amount=data_in.validated_data["amount"],
            idempotency_key=request.headers.get("Idempotency-Key", "").strip(),
        )
        return Response(
            WithdrawalOut(withdrawal).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class WithdrawalCancelApi(APIView):
    """Cancel a withdrawal not paid yet: the amount is available again."""

    permission_classes = [IsAuthenticated, api_role_required(*MEMBER_ROLES)]

    @extend_schema(request=None, responses={200: WithdrawalOut})
    def post(self, request: Request, withdrawal_id: int) -> Response:
        withdrawal = services.withdrawal_cancel(
            actor=current_user(request), withdrawal_id=withdrawal_id
        )
        return Response(WithdrawalOut(withdrawal).data)


class DepositOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="Tiyn.")
    value_date = serializers.DateField()
    bank_reference = serializers.CharField()
    payer_name = serializers.CharField()
    purpose = serializers.CharField()
    state = serializers.ChoiceField(choices=StatementLine.State.choices)
    state_label = serializers.CharField(source="get_state_display")
    credited_at = serializers.DateTimeField(source="created_at")


class DepositListApi(APIView):
    """Bank transfers credited to the member, newest first."""

    permission_classes = [IsAuthenticated, api_role_required(*MEMBER_ROLES)]

    @extend_schema(responses={200: DepositOut(many=True)})
    def get(self, request: Request) -> Response:
        deposits = selectors.member_deposits(_member(request))[:200]
        return Response(DepositOut(deposits, many=True).data)
