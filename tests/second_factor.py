"""Second factors for tests that sign people in: a staff member's app, and a fresh recovery
code for each browser login (each code works once, where an app's code works once per 30 s)."""

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from qoima.accounts.second_factor import RECOVERY_NAME, VERIFIED_AT, required


def app_of(user) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="authenticator", defaults={"confirmed": True}
    )
    return device


def app_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def recovery_code(user) -> str:
    """A new recovery code of the user's (an app made first for staff, who need one)."""
    if required(user):
        app_of(user)
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    return device.token_set.create(token=StaticToken.random_token()).token


def mark_verified(client, user) -> None:
    """The test client's session as after the second step of a login: staff have an app."""
    if not required(user):
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = app_of(user).persistent_id
    session[VERIFIED_AT] = time.time()
    session.save()


def proved_minutes_ago(client, minutes: int) -> None:
    """The client's session as if both factors were last proved ``minutes`` ago."""
    session = client.session
    session[VERIFIED_AT] = time.time() - minutes * 60
    session.save()
