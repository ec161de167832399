from django.urls import path

from . import views

urlpatterns = [
    path("", views.operations, name="operations"),
]
