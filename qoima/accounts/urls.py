from django.urls import include, path

from . import views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/security/", views.security, name="account-security"),
    path("accounts/api-token/", views.api_tokens, name="api-token"),
    path("accounts/sessions/end/", views.session_end, name="account-session-end"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "accounts/password/reset/sent/",
        views.PasswordResetSentView.as_view(),
        name="password-reset-sent",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "accounts/password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("dashboard/admin/lockouts/", views.lockouts, name="account-lockouts"),
    path(
        "dashboard/admin/second-factors/reset/",
        views.second_factors_reset,
        name="account-second-factors-reset",
    ),
    path("accounts/two-factor/", views.two_factor_verify, name="two-factor-verify"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two-factor-setup"),
    path("accounts/confirm/", views.two_factor_confirm, name="two-factor-confirm"),
    path("accounts/two-factor/app/", views.two_factor_totp, name="two-factor-totp"),
    path(
        "accounts/two-factor/passkey-added/",
        views.two_factor_passkey_done,
        name="two-factor-passkey-done",
    ),
    path(
        "accounts/two-factor/recovery-codes/",
        views.recovery_codes_new,
        name="two-factor-recovery-codes",
    ),
    path("accounts/two-factor/remove/", views.second_factor_remove, name="two-factor-remove"),
    path("accounts/webauthn/", include("qoima.accounts.webauthn")),
]
