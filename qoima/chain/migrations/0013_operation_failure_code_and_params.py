import re

from django.db import migrations, models

# What the platform stored before: the English reason, then the decoded error in brackets.
DECODED = re.compile(r"\[(?P<code>\w+)\((?P<args>.*)\)\]\s*$", re.DOTALL)
SUSPENDED = "The holder was suspended before the movement was sent."


def _argument(value: str) -> str:
    if re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        try:
            text = bytes.fromhex(value[2:]).rstrip(b"\x00").decode("utf-8")
        except UnicodeDecodeError:
            return value
        return text if text and text.isprintable() else value
    return value


def codes_from_stored_reasons(apps, schema_editor):
    """Failures recorded before codes were stored get their code and arguments back from the
    decoded error their text ends with; one that cannot be parsed reads as a plain refusal."""
    Operation = apps.get_model("chain", "Operation")
    failed = Operation.objects.filter(state="failed", failure_code="").exclude(failure_reason="")
    for operation in failed.iterator():
        reason = operation.failure_reason
        if reason.startswith(SUSPENDED):
            operation.failure_code, operation.failure_params = "HolderSuspended", {}
        elif found := DECODED.search(reason):
            pairs = (part.split("=", 1) for part in found["args"].split(", ") if "=" in part)
            operation.failure_code = found["code"]
            operation.failure_params = {key: _argument(value) for key, value in pairs}
        else:
            continue
        operation.save(update_fields=["failure_code", "failure_params"])


class Migration(migrations.Migration):
    dependencies = [
        ("chain", "0012_uint256_exact_on_every_database"),
    ]

    operations = [
        migrations.AddField(
            model_name="operation",
            name="failure_code",
            field=models.CharField(blank=True, max_length=64, verbose_name="failure code"),
        ),
        migrations.AddField(
            model_name="operation",
            name="failure_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="failure parameters"),
        ),
        migrations.RunPython(codes_from_stored_reasons, migrations.RunPython.noop),
    ]
