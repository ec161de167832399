from django.db import migrations
from django.utils import translation

# Errors were stored as text in the uploader's language; from now on as codes and parameters,
# put into words when read. Texts without parameters are recognised in any of the platform's
# languages and become their codes; any other keeps its text (shown as it was written).
CODES = {
    "not_csv": "The file is not a CSV file in UTF-8.",
    "no_rows": "The file has no rows.",
    "columns": "Expected two columns: the holder's IIN / BIN or id, and the amount.",
    "check_digit": "This is not a valid IIN / BIN (its check digit does not match).",
    "unknown_holder": "No holder has this IIN / BIN or id.",
    "not_verified": "The holder is not verified.",
    "no_wallet": "The holder has no wallet yet.",
}


def _known() -> dict[str, str]:
    known = {}
    for language in ("en", "ru", "kk"):
        with translation.override(language):
            known.update((translation.gettext(text), code) for code, text in CODES.items())
    return known


def to_codes(apps, schema_editor):
    Distribution = apps.get_model("issuance", "Distribution")
    known = _known()
    for distribution in Distribution.objects.exclude(errors=[]).iterator():
        if not isinstance(distribution.errors, list):
            continue
        converted = []
        for error in distribution.errors:
            if "problems" in error:
                converted.append(error)
                continue
            text = str(error.get("reason", ""))
            problem = (
                {"code": known[text], "params": {}}
                if text in known
                else {"code": "text", "params": {"text": text}}
            )
            converted.append({"line": error.get("line", 0), "problems": [problem]})
        distribution.errors = converted
        distribution.save(update_fields=["errors"])


class Migration(migrations.Migration):
    dependencies = [
        ("issuance", "0002_document_checks"),
    ]

    operations = [
        migrations.RunPython(to_codes, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="distribution",
            name="language",
        ),
    ]
