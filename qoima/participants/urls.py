from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("register/issuer/", views.register_issuer, name="register-issuer"),
    path("register/holder/", views.register_holder, name="register-holder"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/issuer/", views.dashboard_issuer, name="dashboard-issuer"),
    path("dashboard/issuer/permits/", views.issuer_permit_add, name="issuer-permit-add"),
    path(
        "dashboard/issuer/verification/",
        views.issuer_verification_submit,
        name="issuer-verification-submit",
    ),
    path(
        "compliance/organisations/<int:organisation_id>/verify/",
        views.organisation_verify,
        name="organisation-verify",
    ),
    path(
        "compliance/organisations/<int:organisation_id>/refuse/",
        views.organisation_refuse,
        name="organisation-refuse",
    ),
    path(
        "organisations/<int:organisation_id>/documents/<str:which>/",
        views.organisation_document,
        name="organisation-document",
    ),
    path("dashboard/holder/", views.dashboard_holder, name="dashboard-holder"),
    path("dashboard/compliance/", views.dashboard_compliance, name="dashboard-compliance"),
    path("dashboard/regulator/", views.dashboard_regulator, name="dashboard-regulator"),
    path("dashboard/admin/", views.dashboard_admin, name="dashboard-admin"),
    path("dashboard/treasury/", views.dashboard_treasury, name="dashboard-treasury"),
    path("compliance/holders/<int:holder_id>/verify/", views.holder_verify, name="holder-verify"),
    path(
        "compliance/holders/<int:holder_id>/suspend/", views.holder_suspend, name="holder-suspend"
    ),
    path(
        "compliance/wallet-links/<int:link_id>/approve/",
        views.wallet_link_approve,
        name="wallet-link-approve",
    ),
    path(
        "compliance/wallet-links/<int:link_id>/refuse/",
        views.wallet_link_refuse,
        name="wallet-link-refuse",
    ),
    path("compliance/permits/<int:permit_id>/status/", views.permit_status, name="permit-status"),
    path("compliance/permits/<int:permit_id>/verify/", views.permit_verify, name="permit-verify"),
    path("compliance/permits/<int:permit_id>/refuse/", views.permit_refuse, name="permit-refuse"),
    path("permits/<int:permit_id>/document/", views.permit_document, name="permit-document"),
]

api_urlpatterns = [
    path(
        "identification-numbers/check/",
        api.IdentificationNumberCheckApi.as_view(),
        name="api-identification-check",
    ),
    path("issuers/", api.IssuerRegistrationApi.as_view(), name="api-issuer-register"),
    path("me/", api.MeApi.as_view(), name="api-me"),
]
