"""Acts asked for as an officer would, on a court order: shared by the enforcement tests."""

import datetime

from qoima.enforcement.models import EnforcementAct, LegalBasis
from qoima.enforcement.services import ActData, BasisData, act_request
from tests.factories import pdf_upload

K = EnforcementAct.Kind
ALICE = "791028302728"
BANK = "950341000052"


def basis(**changes):
    given = {
        "kind": LegalBasis.Kind.COURT_DECISION,
        "number": "2-117/2026",
        "issued_on": datetime.date(2026, 11, 30),
        "authority": "Специализированный межрайонный экономический суд г. Алматы",
        "document": pdf_upload("order.pdf"),
    }
    return BasisData(**(given | changes))


def ask(officer, kind, document=None, basis_changes=None, **named):
    data = ActData(kind=kind, reason="Обеспечение иска № 2-117/2026", **named)
    changes = (basis_changes or {}) | ({"document": document} if document is not None else {})
    return act_request(officer=officer, data=data, basis=basis(**changes))
