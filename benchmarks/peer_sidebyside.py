"""Our app beside django-helpdesk: ../shared/peer-benchmark/sidebyside.py, run with one correction.

    /tmp/peer-venv/bin/python benchmarks/peer_sidebyside.py --ours-password PW --ours-ticket TS-… \
        --ours-q-zh 报表 --ours-q-en timeout [-R 20]

The harness talks plain HTTP to our gunicorn (pretending a TLS proxy with X-Forwarded-Proto) and clears
the Secure flag of our cookies after signing in. But our session records the last activity about once
a minute (accounts/sessions.py), and each time the answer sets the session cookie again, Secure; the
harness then stops sending it over plain HTTP and our pages answer 302 to the login page a minute into
the run. This wrapper clears the flag after every request too. Set up both apps as the harness's README
says (../shared/peer-benchmark/README.md); everything else is the harness's own code and output.
"""

import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[2] / "shared" / "peer-benchmark"
sys.path.insert(0, str(HARNESS))

import sidebyside  # noqa: E402 - found on the path above

_get = sidebyside.Ours.get


def _get_keeping_the_session(self, path, params=None):
    try:
        return _get(self, path, params)
    finally:
        self._unsecure()


sidebyside.Ours.get = _get_keeping_the_session

if __name__ == "__main__":
    sidebyside.main()
