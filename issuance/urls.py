from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.application_list, name="issuance-list"),
    path("new/", views.application_new, name="issuance-new"),
    path("review/", views.review_queue, name="issuance-review"),
    path("assets/", views.holder_assets, name="issuance-assets"),
    path("<int:application_id>/", views.application_detail, name="issuance-detail"),
    path("<int:application_id>/edit/", views.application_edit, name="issuance-edit"),
    path("<int:application_id>/status/", views.application_status, name="issuance-status"),
    path("<int:application_id>/documents/", views.document_upload, name="issuance-document"),
    path("<int:application_id>/submit/", views.application_submit, name="issuance-submit"),
    path("<int:application_id>/approve/", views.application_approve, name="issuance-approve"),
    path("<int:application_id>/confirm/", views.application_confirm, name="issuance-confirm"),
    path("<int:application_id>/reject/", views.application_reject, name="issuance-reject"),
    path(
        "<int:application_id>/request-changes/",
        views.application_request_changes,
        name="issuance-request-changes",
    ),
    path("<int:application_id>/send/", views.distribution_send, name="issuance-send"),
    path("<int:application_id>/distribute/", views.distribution_upload, name="issuance-csv"),
    path("<int:application_id>/redeem/", views.redemption_request, name="issuance-redeem"),
    path("documents/<int:document_id>/", views.document_download, name="issuance-download"),
    path(
        "distributions/<int:distribution_id>/",
        views.distribution_detail,
        name="issuance-distribution",
    ),
    path(
        "distributions/<int:distribution_id>/progress/",
        views.distribution_progress,
        name="issuance-distribution-progress",
    ),
    path(
        "redemptions/<int:redemption_id>/fulfil/",
        views.redemption_fulfil,
        name="issuance-fulfil",
    ),
    path(
        "redemptions/<int:redemption_id>/refuse/",
        views.redemption_refuse,
        name="issuance-refuse",
    ),
]

api_urlpatterns = [
    path("applications/", api.ApplicationListApi.as_view(), name="api-applications"),
    path(
        "applications/<int:application_id>/",
        api.ApplicationDetailApi.as_view(),
        name="api-application",
    ),
    path(
        "applications/<int:application_id>/documents/",
        api.DocumentApi.as_view(),
        name="api-application-documents",
    ),
    path(
        "applications/<int:application_id>/submit/",
        api.SubmitApi.as_view(),
        name="api-application-submit",
    ),
    path(
        "applications/<int:application_id>/approve/",
        api.ApproveApi.as_view(),
        name="api-application-approve",
    ),
    path(
        "applications/<int:application_id>/confirm/",
        api.ConfirmApi.as_view(),
        name="api-application-confirm",
    ),
    path(
        "applications/<int:application_id>/reject/",
        api.RejectApi.as_view(),
        name="api-application-reject",
    ),
    path(
        "applications/<int:application_id>/request-changes/",
        api.RequestChangesApi.as_view(),
        name="api-application-request-changes",
    ),
    path(
        "applications/<int:application_id>/distributions/",
        api.DistributionCreateApi.as_view(),
        name="api-distributions",
    ),
    path(
        "distributions/<int:distribution_id>/",
        api.DistributionDetailApi.as_view(),
        name="api-distribution",
    ),
    path(
        "applications/<int:application_id>/redemptions/",
        api.RedemptionCreateApi.as_view(),
        name="api-redemptions",
    ),
    path(
        "redemptions/<int:redemption_id>/fulfil/",
        api.RedemptionFulfilApi.as_view(),
        name="api-redemption-fulfil",
    ),
    path(
        "redemptions/<int:redemption_id>/refuse/",
        api.RedemptionRefuseApi.as_view(),
        name="api-redemption-refuse",
    ),
]
