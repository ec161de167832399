from django.urls import path

from . import views

urlpatterns = [
    path("", views.help_page, name="help"),
    path("<slug:role>/", views.help_role, name="help-role"),
]
