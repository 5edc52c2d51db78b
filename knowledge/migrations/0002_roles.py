"""Engineers write articles and link them to tickets; managers and admins also review, publish and archive."""

from django.db import migrations

from toolkit.roles import grant_app_permissions, revoke_app_permissions

READ = ["view_article", "view_tag", "view_articleversion", "view_articlelink"]
WRITE = ["add_article", "change_article", "add_tag", "add_articlelink", "add_helpfulvote"]
REVIEW = ["publish_article", "delete_article", "change_tag", "delete_tag", "delete_articlelink"]
ROLES = {"engineer": READ + WRITE, "manager": READ + WRITE + REVIEW, "admin": READ + WRITE + REVIEW}


def grant(apps, schema_editor):
    grant_app_permissions(apps, "knowledge", ROLES)


def revoke(apps, schema_editor):
    revoke_app_permissions(apps, "knowledge", ROLES)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial"), ("toolkit", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
