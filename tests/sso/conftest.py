"""Real identity services for the single sign-on tests: a throw-away slapd (tests/sso/slapd.py) and a
small OpenID Connect provider site (tests/sso/oidc_provider/), each started once per test session.

Without /usr/sbin/slapd the LDAP tests skip locally and fail in CI (CI=true): .ci/run installs it.
"""

import importlib.util

import pytest

from tests.conftest import IN_CI
from tests.sso import slapd


@pytest.fixture(scope="session")
def slapd_server():
    if not slapd.SLAPD.exists():
        if IN_CI:
            pytest.fail("/usr/sbin/slapd is missing: .ci/run installs slapd and ldap-utils")
        pytest.skip("slapd is not installed (apt-get install slapd ldap-utils)")
    if importlib.util.find_spec("django_auth_ldap") is None:
        # The "ldap" extra, which dev.py installs when the OpenLDAP and SASL headers are present.
        if IN_CI:
            pytest.fail("django-auth-ldap is missing: .ci/run installs libldap2-dev and libsasl2-dev")
        pytest.skip("django-auth-ldap is not installed (the project's 'ldap' extra)")
    server = slapd.start()
    try:
        yield server
    finally:
        slapd.stop(server)
