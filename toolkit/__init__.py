# The Celery app (toolkit/celery.py) is not imported here, unlike in Celery's Django guide: web workers
# that never send a job would carry Celery and kombu for nothing. Every task is declared with that app's
# own @app.task, so a module that sends one imports the app first; `celery -A toolkit` finds it as
# toolkit.celery.
