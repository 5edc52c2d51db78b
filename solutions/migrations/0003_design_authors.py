import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# History entries a decider writes on the design row: deciding is not authoring.
DECISION_REASONS = ("approved", "rejected")


def backfill(apps, schema_editor):
    """Authors of existing designs, from what was recorded before DesignAuthor existed: who created or
    changed an option or a criterion, who changed the design row (other than deciding) and who submitted
    it. Scores and coverage kept no author, so those contributions cannot be recovered."""
    DesignAuthor = apps.get_model("solutions", "DesignAuthor")
    found = {}

    def add(ticket_id, user_id, when):
        if ticket_id is None or user_id is None:
            return
        first, last = found.get((ticket_id, user_id), (when, when))
        found[(ticket_id, user_id)] = (min(first, when), max(last, when))

    for model in ("HistoricalSolutionOption", "HistoricalCriterion"):
        rows = apps.get_model("solutions", model).objects.values_list("ticket_id", "history_user_id", "history_date")
        for ticket_id, user_id, when in rows.iterator():
            add(ticket_id, user_id, when)
    designs = apps.get_model("solutions", "HistoricalSolutionDesign").objects.exclude(
        history_change_reason__in=DECISION_REASONS
    )
    for ticket_id, user_id, when in designs.values_list("ticket_id", "history_user_id", "history_date").iterator():
        add(ticket_id, user_id, when)
    Option = apps.get_model("solutions", "SolutionOption")
    for ticket_id, user_id, when in Option.objects.values_list("ticket_id", "created_by_id", "created_at").iterator():
        add(ticket_id, user_id, when)
    Design = apps.get_model("solutions", "SolutionDesign")
    submitted = Design.objects.filter(submitted_by__isnull=False)
    for ticket_id, user_id, when in submitted.values_list("ticket_id", "submitted_by_id", "submitted_at").iterator():
        add(ticket_id, user_id, when)
    DesignAuthor.objects.bulk_create(
        [
            DesignAuthor(ticket_id=ticket_id, user_id=user_id, first_at=first, last_at=last)
            for (ticket_id, user_id), (first, last) in found.items()
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('solutions', '0002_roles'),
        ('toolkit', '0004_sla_defaults'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DesignAuthor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('first_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='first change')),
                ('last_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='last change')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='solution_authors', to='toolkit.ticket', verbose_name='ticket')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'design author',
                'verbose_name_plural': 'design authors',
                'db_table': 'solutions_author',
                'constraints': [models.UniqueConstraint(fields=('ticket', 'user'), name='solutions_author_unique')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
