"""Reads of background jobs."""

from toolkit import roles

from .models import Job


def _is_admin(user) -> bool:
    return user.is_superuser or user.groups.filter(name=roles.ADMIN).exists()


def job_for_user(*, user, pk: int, kind: str) -> Job | None:
    """The job if `user` may see it: its requester, or an admin. Anyone else gets None (a 404)."""
    jobs = Job.objects.filter(pk=pk, kind=kind)
    if not _is_admin(user):
        jobs = jobs.filter(requester_id=user.pk)
    return jobs.first()


def job_of_requester(*, user, pk: int, kinds: list[str]) -> Job | None:
    """The job only if `user` asked for it (an export's file is the requester's alone, admins included)."""
    return Job.objects.filter(pk=pk, kind__in=kinds, requester_id=user.pk).first()
