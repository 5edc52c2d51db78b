"""Created the engineer / manager / admin groups with their permissions.

Kept as history: the grants are now rows of toolkit/roles.py's ROLE_PERMISSIONS, which
sync_roles applies after every migrate (post_migrate). Other migrations depend on this one.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("toolkit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = []
