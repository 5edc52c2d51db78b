"""Gave the roles their permissions on the solution design.

Kept as history: the grants are now rows of toolkit/roles.py's ROLE_PERMISSIONS, which
sync_roles applies after every migrate (post_migrate). Other migrations depend on this one.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("solutions", "0001_initial"), ("toolkit", "0002_roles")]

    operations = []
