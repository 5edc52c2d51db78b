import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolkit.settings")

application = get_wsgi_application()


def _freeze_start_up_objects() -> None:
    """Load the URLconf (every view module) now, then move the ~100,000 objects of start-up into the
    garbage collector's permanent generation. They live as long as the process, yet each full collection
    walked them all: about 60 ms on this project's 2-core machine, paid by whichever request triggered it
    (the slow tail of every page). Frozen, a full collection looks only at what requests made."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and the views now, not at the first request
    gc.collect()
    gc.freeze()


_freeze_start_up_objects()
