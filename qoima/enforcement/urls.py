from django.urls import path

from . import views

urlpatterns = [
    path("compliance/enforcement/", views.acts_page, name="enforcement-acts"),
    path("compliance/enforcement/new/", views.act_new, name="enforcement-act-new"),
    path("compliance/enforcement/<int:act_id>/", views.act_page, name="enforcement-act"),
    path(
        "compliance/enforcement/<int:act_id>/status/",
        views.act_status,
        name="enforcement-act-status",
    ),
    path(
        "compliance/enforcement/<int:act_id>/confirm/",
        views.act_confirm,
        name="enforcement-act-confirm",
    ),
    path(
        "compliance/enforcement/<int:act_id>/reject/",
        views.act_reject,
        name="enforcement-act-reject",
    ),
    path(
        "legal-documents/<int:basis_id>/",
        views.basis_document,
        name="enforcement-basis-document",
    ),
]
