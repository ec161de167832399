import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0002's data migration: PostgreSQL refuses to alter a table with row changes
    # still pending in the same transaction.

    dependencies = [
        ("participants", "0002_permit_verification"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='permit',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Upper('authority'), django.db.models.functions.text.Upper('number'), condition=models.Q(('status', 'refused'), _negated=True), name='permit_unique_number_per_authority'),
        ),
        migrations.AddConstraint(
            model_name='permit',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['active', 'suspended']), _negated=True), models.Q(('verified_by__isnull', False), ('verified_at__isnull', False), models.Q(('document_sha256', ''), _negated=True)), _connector='OR'), name='permit_in_force_is_verified'),
        ),
    ]
