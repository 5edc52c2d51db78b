"""A URL include whose module is imported on first use: the API's (django-ninja and pydantic) is heavy and
most web workers never serve an API request.

``include()`` imports its module at once, and Django's resolver, on the first ``reverse()`` of any page,
walks every include to build its lookup tables. A namespaced include needs none of that from its
parent (the parent keeps only the namespace and the prefix), so this resolver builds its tables only
when a request resolves under its prefix or something reverses a name in its namespace.
"""

from django.urls import URLResolver
from django.urls.resolvers import RoutePattern


class DeferredURLResolver(URLResolver):
    _wanted = False

    def _populate(self):
        # The parent's walk calls this for every include; only a look-up of our own goes on.
        if self._wanted:
            super()._populate()

    def _want(self):
        self._wanted = True

    @property
    def reverse_dict(self):
        self._want()
        return super().reverse_dict

    @property
    def namespace_dict(self):
        self._want()
        return super().namespace_dict

    @property
    def app_dict(self):
        self._want()
        return super().app_dict

    def _is_callback(self, name):
        self._want()
        return super()._is_callback(name)

    def _reverse_with_prefix(self, lookup_view, _prefix, *args, **kwargs):
        self._want()
        return super()._reverse_with_prefix(lookup_view, _prefix, *args, **kwargs)


def deferred_include(route: str, module: str, *, namespace: str) -> DeferredURLResolver:
    """``path(route, include(module, namespace=namespace))``, with the module imported on first use.
    The module's ``app_name`` must equal ``namespace``."""
    return DeferredURLResolver(RoutePattern(route), module, app_name=namespace, namespace=namespace)
