"""What the audit log's codes mean, in the reader's language.

An entry stores codes and parameters (its action code, the object's type and id, details as
data), and the hash chain covers exactly those. Everything a person reads is rendered here at
read time in the reader's language: the action's label, the object as its type's name, its id
and its current name, and each detail with a label and its value (a choice's label, an
amount in the asset's units). ``object_repr`` stays in the entry for the chain, but is never
shown: it was written in the actor's language.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qoima.accounts.models import SecondFactorKind
from qoima.chain.amounts import units_to_amount
from qoima.participants.models import Role

from .actions import AuditAction
from .models import AuditEntry

DETAILS: dict[str, Promise] = {
    "added": _("added"),
    "after": _("after"),
    "before": _("before"),
    "address": _("address"),
    "application": _("application"),
    "asset_class": _("asset class"),
    "asset_identifier": _("registry identifier"),
    "backed_amount": _("backed amount"),
    "decimals": _("decimals"),
    "description": _("description"),
    "mint_amount": _("amount to mint"),
    "name": _("name"),
    "sha256": _("SHA-256"),
    "share": _("share, %"),
    "symbol": _("symbol"),
    "approved_by": _("approved by"),
    "bytes": _("bytes"),
    "chain_id": _("chain id"),
    "code": _("reason code"),
    "compliance": _("compliance address"),
    "count": _("count"),
    "document_ref": _("document reference"),
    "errors": _("errors"),
    "factor": _("second factor"),
    "failures": _("failed attempts"),
    "expires_at": _("expires at"),
    "expires_on": _("expires on"),
    "fields": _("fields"),
    "file": _("file"),
    "from": _("previous status"),
    "holder": _("holder"),
    "identification_number": _("IIN / BIN"),
    "items": _("Art. 5 items"),
    "kind": _("kind"),
    "limit": _("limit"),
    "line": _("line"),
    "number": _("number"),
    "operation": _("operation"),
    "operations": _("operations"),
    "operator": _("operator address"),
    "organisation": _("organisation"),
    "permit": _("permit"),
    "reason": _("reason"),
    "removed": _("removed"),
    "reference": _("reference"),
    "registry": _("registry address"),
    "replaced": _("replaced"),
    "revision": _("revision"),
    "scope": _("scope"),
    "role": _("role"),
    "rows": _("rows"),
    "sessions_ended": _("sessions ended"),
    "size": _("size in bytes"),
    "supersedes": _("supersedes"),
    "to": _("to"),
    "token": _("token"),
    "tokens_revoked": _("API tokens revoked"),
    "transaction": _("chain transaction"),
    "tx_hash": _("transaction"),
    "units": _("amount"),
    "username": _("username"),
}
# Details that are amounts in the token's smallest units: shown in the asset's units.
AMOUNTS = {"units"}


def action_label(code: str) -> str | Promise:
    """The action in the reader's language (qoima/audit/actions.py); a code the catalogue does
    not have as itself (a test keeps it complete: see tests/audit/test_labels.py)."""
    if code in AuditAction.values:
        return AuditAction(code).label
    return code


def _model(name: str) -> type[models.Model] | None:
    if "." in name:
        try:
            return apps.get_model(name)
        except (LookupError, ValueError):
            return None
    for model in apps.get_models():
        if model._meta.model_name == name:
            return model
    return None


def _choice_label(field: models.Field[Any, Any], value: object) -> object:
    return dict(field.flatchoices).get(value, value)


@dataclass(frozen=True)
class _Places:
    """The decimals of the applications and tokens that entries' details name, read at once."""

    applications: dict[int, int]
    tokens: dict[str, int]

    @classmethod
    def of(cls, entries: list[AuditEntry]) -> "_Places":
        application_ids: set[int] = set()
        tokens: set[str] = set()
        for entry in entries:
            details = entry.details if isinstance(entry.details, dict) else {}
            if not AMOUNTS & details.keys():
                continue
            if isinstance(details.get("application"), int):
                application_ids.add(details["application"])
            if isinstance(details.get("token"), str) and details["token"]:
                tokens.add(details["token"])
        return cls(
            applications=dict(
                apps.get_model("issuance", "Application")
                .objects.filter(pk__in=application_ids)
                .values_list("pk", "decimals")
            )
            if application_ids
            else {},
            tokens=dict(
                apps.get_model("chain", "PlatformToken")
                .objects.filter(address__in=tokens)
                .values_list("address", "decimals")
            )
            if tokens
            else {},
        )


def _decimals(obj: models.Model | None, details: dict[str, Any], places: _Places) -> int | None:
    application = getattr(obj, "application", None) if obj is not None else None
    if application is None and obj is not None and obj._meta.label_lower == "issuance.application":
        application = obj
    if application is not None:
        return int(application.decimals)
    if isinstance(details.get("application"), int):
        found = places.applications.get(details["application"])
        if found is not None:
            return int(found)
    token = details.get("token")
    if isinstance(token, str) and token:
        found = places.tokens.get(token)
        return None if found is None else int(found)
    return None


def _amount(units: object, decimals: int) -> str:
    try:
        amount = units_to_amount(Decimal(str(units)), decimals)
    except ArithmeticError:
        return str(units)
    return number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _key(key: str, model: type[models.Model] | None) -> str | Promise:
    if key in DETAILS:
        return DETAILS[key]
    if model is not None:
        try:
            return model._meta.get_field(key).verbose_name  # type: ignore[union-attr]
        except FieldDoesNotExist:
            pass
    return key


def _value(key: str, value: object, model: type[models.Model] | None, decimals: int | None) -> str:
    if isinstance(value, list):
        return ", ".join(_value(key, item, model, decimals) for item in value)
    if isinstance(value, dict):
        # A change's before and after: the object's own fields, each read as above; a related
        # object's fields (an act's legal basis) as its own model has them.
        model = _related(model, key) or model
        return "; ".join(
            f"{_key(name, model)}: {_value(name, item, model, decimals)}"
            for name, item in value.items()
        )
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key in AMOUNTS and decimals is not None:
        return _amount(value, decimals)
    if key == "role":
        return (
            str(Role(value).label)
            if isinstance(value, str) and value in Role.values
            else str(value)
        )
    if key == "scope":
        model = apps.get_model("accounts", "ApiToken")
    if key == "factor":
        text = str(value)
        return str(SecondFactorKind(text).label) if text in SecondFactorKind.values else text
    if key == "asset_class":
        model = apps.get_model("issuance", "Application")
    if model is not None:
        name = "status" if key == "from" else key
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if field is not None and getattr(field, "choices", None):
            return str(_choice_label(field, value))  # type: ignore[arg-type]
    return "" if value is None else str(value)


def _related(model: type[models.Model] | None, key: str) -> type[models.Model] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    related = field.related_model if field.is_relation else None
    return related if isinstance(related, type) else None


def _name(obj: models.Model) -> str:
    """The object's current name, read now, in the reader's language."""
    label = obj._meta.label_lower
    if label == "issuance.redemption":
        application = obj.application  # type: ignore[attr-defined]
        return f"{application.symbol} · {_amount(obj.amount, application.decimals)}"  # type: ignore[attr-defined]
    if label == "issuance.distribution":
        return f"{obj.application} · {obj.file_name}".rstrip(" ·")  # type: ignore[attr-defined]
    return str(obj)


@dataclass(frozen=True)
class ShownEntry:
    """An audit entry as a reader reads it; every stored field is still there (``entry``)."""

    entry: AuditEntry
    action_label: str | Promise
    subject: str
    details_shown: list[tuple[str | Promise, str]]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)


def audit_shown(entries: Iterable[AuditEntry]) -> list[ShownEntry]:
    """The entries rendered for the reader: their objects looked up in one query a type."""
    entries = list(entries)
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.object_type and entry.object_id:
            wanted[entry.object_type].add(entry.object_id)
    found: dict[tuple[str, str], models.Model] = {}
    types: dict[str, type[models.Model] | None] = {}
    for object_type, ids in wanted.items():
        model = types[object_type] = _model(object_type)
        if model is None:
            continue
        pk = model._meta.pk
        assert pk is not None
        try:
            keys = [pk.to_python(i) for i in ids]
        except ValidationError:
            # An id its type cannot read names nothing to look up.
            continue
        # An object's name may take another's (a wallet its holder's, a redemption its
        # application's): every relation it points to is read along.
        rows = model._default_manager.filter(pk__in=keys).select_related(
            *(
                field.name
                for field in model._meta.concrete_fields
                if field.is_relation and (field.many_to_one or field.one_to_one)
            )
        )
        for row in rows:
            found[(object_type, str(row.pk))] = row
    places = _Places.of(entries)
    shown = []
    for entry in entries:
        model = types.get(entry.object_type)
        obj = found.get((entry.object_type, entry.object_id))
        subject = ""
        if model is not None:
            subject = f"{model._meta.verbose_name} #{entry.object_id}"
            if obj is not None:
                subject += f": {_name(obj)}"
        elif entry.object_type:
            subject = f"#{entry.object_id}"
        details = entry.details if isinstance(entry.details, dict) else {}
        decimals = _decimals(obj, details, places) if AMOUNTS & details.keys() else None
        shown.append(
            ShownEntry(
                entry=entry,
                action_label=action_label(entry.action),
                subject=subject,
                details_shown=[
                    (_key(key, model), _value(key, value, model, decimals))
                    for key, value in details.items()
                ],
            )
        )
    return shown
