"""The ground floor's models, moved from `portal` (issue 24) without touching a row: their
tables keep their names (Meta.db_table), so this migration only records them in `core`'s
state; portal's 0009 forgets them and moves their content types here."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import core.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables exist from here on, created (and last altered) by portal's migrations.
        ("portal", "0007_company_settings"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="CompanySettings",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "security_desk_phone",
                            models.CharField(
                                blank=True,
                                help_text="The security desk's 24/7 line, in international form (+44 20 7946 0000).",
                                max_length=40,
                                validators=[core.models.international_phone],
                            ),
                        ),
                        (
                            "security_desk_email",
                            models.EmailField(
                                blank=True,
                                help_text="The security desk's address, read around the clock.",
                                max_length=254,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "company settings",
                        "verbose_name_plural": "company settings",
                        "db_table": "portal_companysettings",
                    },
                ),
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("action", models.CharField(db_index=True, max_length=60)),
                        ("object_type", models.CharField(blank=True, max_length=60)),
                        ("object_id", models.CharField(blank=True, db_index=True, max_length=60)),
                        ("object_repr", models.CharField(blank=True, max_length=200)),
                        ("ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("details", models.JSONField(blank=True, default=dict)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "audit entries",
                        "db_table": "portal_auditentry",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("task", models.CharField(max_length=200)),
                        ("kwargs", models.JSONField(blank=True, default=dict)),
                        ("key", models.CharField(max_length=200, unique=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("due_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("done_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "portal_outboxmessage",
                        "ordering": ["due_at", "id"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("sent_at__isnull", True)),
                                fields=["due_at"],
                                name="outbox_unsent_due",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="TravellerProfile",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "nationality",
                            models.CharField(
                                blank=True,
                                help_text="Passport nationality, ISO 3166-1 alpha-2 (GB, US, ...)",
                                max_length=2,
                            ),
                        ),
                        (
                            "passport_type",
                            models.CharField(
                                choices=[
                                    ("ordinary", "Ordinary"),
                                    ("diplomatic", "Diplomatic"),
                                    ("service", "Service"),
                                ],
                                default="ordinary",
                                max_length=12,
                            ),
                        ),
                        (
                            "date_of_birth",
                            models.DateField(
                                blank=True, null=True, validators=[core.models.born_in_the_past]
                            ),
                        ),
                        ("department", models.CharField(blank=True, max_length=120)),
                        ("phone", models.CharField(blank=True, max_length=40)),
                        ("emergency_contact_name", models.CharField(blank=True, max_length=120)),
                        ("emergency_contact_phone", models.CharField(blank=True, max_length=40)),
                        (
                            "arrangers",
                            models.ManyToManyField(
                                blank=True,
                                db_table="portal_travellerprofile_arrangers",
                                help_text="Travel arrangers who may file and view trips for this traveller.",
                                related_name="arranged_profiles",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="profile",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "portal_travellerprofile",
                    },
                ),
            ],
        ),
    ]
