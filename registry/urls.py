from django.urls import path

from . import api, views
from .views import market

urlpatterns = [
    path("", views.home, name="registry-home"),
    path("issuers/", views.issuers, name="registry-issuers"),
    path("issuers/<int:organisation_id>/", views.issuer, name="registry-issuer"),
    path("permits/", views.permits, name="registry-permits"),
    path("assets/", views.assets, name="registry-assets"),
    path("assets/<int:application_id>/", views.asset, name="registry-asset"),
    path(
        "assets/<int:application_id>/on-chain/", views.asset_onchain, name="registry-asset-onchain"
    ),
    path("assets/<int:application_id>/holders/", views.cap_table, name="registry-cap-table"),
    path("documents/", views.documents, name="registry-documents"),
    path("documents/<int:document_id>/", views.document, name="registry-document"),
    path(
        "documents/<int:document_id>/rehash/",
        views.document_rehash,
        name="registry-document-rehash",
    ),
    path("transfers/", views.transfer_search, name="registry-transfers"),
    path("transfers/<int:transfer_id>/", views.transfer, name="registry-transfer"),
    path(
        "transfers/<int:transfer_id>/verify/",
        views.transfer_verify,
        name="registry-transfer-verify",
    ),
    path("holders/", views.holders, name="registry-holders"),
    path("compliance/", views.compliance, name="registry-compliance"),
    path("reconciliation/", views.reconciliation, name="registry-reconciliation"),
    path(
        "reconciliation/<int:run_id>/",
        views.reconciliation_run,
        name="registry-reconciliation-run",
    ),
    path("audit/", views.audit, name="registry-audit"),
    path("reports/daily/", views.daily, name="registry-daily"),
    path("reports/monitoring/", views.monitoring, name="registry-monitoring"),
    path("exchange/orders/", market.exchange_orders, name="registry-exchange-orders"),
    path("exchange/trades/", market.exchange_trades, name="registry-exchange-trades"),
    path("exchange/journal/", market.exchange_journal, name="registry-exchange-journal"),
    path("exchange/book/", market.exchange_book, name="registry-exchange-book"),
    path("exchange/daily/", market.exchange_daily, name="registry-exchange-daily"),
]

api_urlpatterns = [
    path("issuers/", api.IssuerList.as_view(), name="api-registry-issuers"),
    path("permits/", api.PermitList.as_view(), name="api-registry-permits"),
    path("assets/", api.AssetList.as_view(), name="api-registry-assets"),
    path("assets/<int:application_id>/", api.AssetDetail.as_view(), name="api-registry-asset"),
    path(
        "assets/<int:application_id>/holders/",
        api.CapTableApi.as_view(),
        name="api-registry-cap-table",
    ),
    path("documents/", api.DocumentList.as_view(), name="api-registry-documents"),
    path(
        "documents/<int:document_id>/rehash/",
        api.DocumentRehashApi.as_view(),
        name="api-registry-document-rehash",
    ),
    path("transfers/", api.TransferList.as_view(), name="api-registry-transfers"),
    path(
        "transfers/<int:transfer_id>/", api.TransferDetail.as_view(), name="api-registry-transfer"
    ),
    path(
        "transfers/<int:transfer_id>/verify/",
        api.TransferVerifyApi.as_view(),
        name="api-registry-transfer-verify",
    ),
    path("holders/", api.HolderList.as_view(), name="api-registry-holders"),
    path("compliance/", api.ComplianceList.as_view(), name="api-registry-compliance"),
    path("compliance/acts/", api.ComplianceActList.as_view(), name="api-registry-compliance-acts"),
    path(
        "compliance/operations/",
        api.ComplianceOperationList.as_view(),
        name="api-registry-compliance-operations",
    ),
    path(
        "reconciliation-runs/",
        api.ReconciliationList.as_view(),
        name="api-registry-reconciliation",
    ),
    path(
        "reconciliation-runs/<int:run_id>/differences/",
        api.ReconciliationDifferenceList.as_view(),
        name="api-registry-reconciliation-differences",
    ),
    path("audit-log/", api.AuditList.as_view(), name="api-registry-audit"),
    path("daily-volumes/", api.DailyVolumeList.as_view(), name="api-registry-daily"),
]
