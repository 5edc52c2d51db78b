"""The admin site's URLs, imported on first use (toolkit/deferred_urls.py).

The admin and every app's admin module (about 1 MiB per web worker) load when someone opens /admin/ or
a page reverses an admin URL, not in every worker at start-up; settings.py installs the admin as
SimpleAdminConfig, which does not look for the admin modules by itself.
"""

from django.contrib import admin

admin.autodiscover()

app_name = admin.site.name
urlpatterns = admin.site.get_urls()
