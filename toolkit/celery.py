"""Celery wiring: every CELERY_* Django setting configures the app; tasks are autodiscovered; exactly one
beat runs the schedule (SingleBeatScheduler, a lock in Redis or a file)."""

import contextlib
import logging
import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolkit.settings")

app = Celery("toolkit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
logger = logging.getLogger(__name__)


@app.on_after_configure.connect
def _make_broker_folders(sender, source, **kwargs):
    """The filesystem broker's folders (development without Redis, see settings), made when a worker or
    a sender first reads the configuration rather than whenever the settings are imported."""
    options = source.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


# ---------------------------------------------------------------- one beat

BEAT_LOCK_REFUSED = (
    "Another celery beat is already running the schedule (lock %s held). This one stops so that the "
    "periodic tasks are not sent twice; run exactly one beat. %s"
)


class BeatLockLost(SystemExit):
    pass


class _RedisBeatLock:
    """SET NX with a TTL in the broker's Redis, renewed by the running beat on every tick; a beat that
    dies stops renewing it and another can start after the TTL."""

    def __init__(self, url: str, name: str, ttl: float):
        import redis

        self.name = name
        self.lock = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).lock(
            name, timeout=ttl, thread_local=False
        )

    def acquire(self) -> bool:
        return bool(self.lock.acquire(blocking=False))

    def hint(self) -> str:
        return (
            f"If none is running any more, the lock expires within {_lock_seconds():.0f} seconds "
            "(a beat stopped cleanly releases it at once)."
        )

    def renew(self) -> bool:
        """False when the lock is someone else's now (it expired while this beat stalled)."""
        import redis

        try:
            self.lock.reacquire()
        except redis.exceptions.LockError:
            return False
        except redis.exceptions.ConnectionError:
            return True  # Redis away: nothing can be sent either; renewed on the next tick if it is back
        return True

    def release(self) -> None:
        import redis

        with contextlib.suppress(redis.exceptions.LockError, redis.exceptions.ConnectionError):
            self.lock.release()


class _FileBeatLock:
    """Without Redis (development, one machine): an exclusive flock, which the system drops when the
    process ends, however it ends."""

    def __init__(self, path: str):
        self.name = path
        self.handle = None

    def acquire(self) -> bool:
        import fcntl

        Path(self.name).parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.name, "a+")  # noqa: SIM115 - held open for the life of the beat
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self.handle = handle
        return True

    def renew(self) -> bool:
        return self.handle is not None

    def hint(self) -> str:
        return "The lock is a file lock on this machine: it goes with the process that holds it."

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing the file drops the flock
            self.handle = None


class _NoLock:
    name = ""

    def renew(self) -> bool:
        return True

    def release(self) -> None:
        pass


def beat_lock(conf, *, schedule_filename: str | None = None):
    """The lock for this installation's beat: in the broker's Redis when the broker is Redis (one per
    queue name, so installations sharing a Redis do not block each other), else a file beside the
    beat's schedule file."""
    url = conf.broker_url or ""
    if url.startswith(("redis://", "rediss://")):
        name = f"{conf.task_default_queue}:beat-lock"
        return _RedisBeatLock(url, name, _lock_seconds())
    return _FileBeatLock(f"{schedule_filename or conf.beat_schedule_filename}.lock")


class SingleBeatScheduler(PersistentScheduler):
    """The beat scheduler of this app (beat_scheduler below): it runs the schedule only while it holds
    the beat lock. A second beat — on this machine or another — is refused at start with a clear
    message and exits with status 1; the running one renews the lock on every tick (at least every
    third of BEAT_LOCK_SECONDS) and stops if it ever finds the lock taken by another."""

    def __init__(self, app, *args, **kwargs):
        self._beat_lock = beat_lock(app.conf, schedule_filename=kwargs.get("schedule_filename"))
        if kwargs.get("lazy"):  # the instance beat makes only to print its banner: no lock, no schedule
            super().__init__(app, *args, **kwargs)
            self._beat_lock = _NoLock()
            return
        if not self._beat_lock.acquire():
            message = BEAT_LOCK_REFUSED % (self._beat_lock.name, self._beat_lock.hint())
            logger.error(message)
            raise SystemExit(1)
        logger.info("beat: holding the beat lock %s", self._beat_lock.name)
        super().__init__(app, *args, **kwargs)
        self.max_interval = min(self.max_interval, _lock_seconds() / 3)

    def tick(self, *args, **kwargs):
        if not self._beat_lock.renew():
            message = f"beat: the beat lock {self._beat_lock.name} is held by another beat now; stopping."
            logger.error(message)
            raise BeatLockLost(1)
        return super().tick(*args, **kwargs)

    def close(self):
        try:
            super().close()
        finally:
            self._beat_lock.release()


def _lock_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "BEAT_LOCK_SECONDS", 60))


app.conf.beat_scheduler = "toolkit.celery:SingleBeatScheduler"
