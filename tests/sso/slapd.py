"""A throw-away OpenLDAP server for the sign-in tests: Debian's slapd with a generated slapd.conf, an
mdb database in a temporary folder, on a loopback port (15390–15399), filled with ldapadd.

Started once per test session (tests/sso/conftest.py) and stopped afterwards; every step has a deadline.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SLAPD = Path("/usr/sbin/slapd")
LDAPADD = shutil.which("ldapadd") or "/usr/bin/ldapadd"
PORTS = range(15390, 15400)
BASE = "dc=toolkit,dc=test"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PASSWORD = "root-secret"  # noqa: S105 - a throw-away test directory
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
ENGINEERS = f"cn=desk-engineers,{GROUPS}"
MANAGERS = f"cn=desk-managers,{GROUPS}"
ADMINS = f"cn=desk-admins,{GROUPS}"
STAFF = f"cn=all-staff,{GROUPS}"  # a group that maps to no role

# uid → (given name, surname, password, groups)
PEOPLE_ENTRIES = {
    "liwei": ("伟", "李", "li-password", [ENGINEERS, STAFF]),
    "zhangmin": ("敏", "张", "zhang-password", [MANAGERS, STAFF]),
    "wangfang": ("芳", "王", "wang-password", [STAFF]),
}

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {folder}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "{base}"
rootdn "{root_dn}"
rootpw {root_password}
directory {folder}/data
maxsize 10485760
access to attrs=userPassword by anonymous auth by * none
access to * by * read
"""


@dataclass
class Slapd:
    process: subprocess.Popen
    folder: Path
    port: int
    log: Any = None

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def ldif(self, text: str, *, modify: bool = False) -> None:
        command = [LDAPADD, "-x", "-H", self.uri, "-D", ROOT_DN, "-w", ROOT_PASSWORD]
        if modify:
            command = ["/usr/bin/ldapmodify", *command[1:]]
        subprocess.run(command, input=text.encode(), check=True, capture_output=True, timeout=15)  # noqa: S603

    def set_member(self, group: str, uid: str, *, member: bool) -> None:
        """Put a person in or take them out of a group."""
        action = "add" if member else "delete"
        self.ldif(
            f"dn: {group}\nchangetype: modify\n{action}: member\nmember: uid={uid},{PEOPLE}\n", modify=True
        )


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 15390-15399")


def _directory_ldif() -> str:
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Toolkit\ndc: toolkit\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for uid, (given, surname, password, _groups) in PEOPLE_ENTRIES.items():
        entries.append(
            f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {surname}{given}\n"
            f"sn: {surname}\ngivenName: {given}\nmail: {uid}@toolkit.test\nuserPassword: {password}\n"
        )
    for group in (ENGINEERS, MANAGERS, ADMINS, STAFF):
        # groupOfNames needs a member: the root DN stays in each, so a test may empty a group.
        members = [
            ROOT_DN,
            *(f"uid={uid},{PEOPLE}" for uid, entry in PEOPLE_ENTRIES.items() if group in entry[3]),
        ]
        lines = "".join(f"member: {member}\n" for member in members)
        name = group.split(",")[0].split("=")[1]
        entries.append(f"dn: {group}\nobjectClass: groupOfNames\ncn: {name}\n{lines}")
    return "\n".join(entries)


def start(*, timeout: float = 20) -> Slapd:
    folder = Path(tempfile.mkdtemp(prefix="toolkit-slapd-"))
    (folder / "data").mkdir()
    config = folder / "slapd.conf"
    config.write_text(
        CONFIG.format(folder=folder, base=BASE, root_dn=ROOT_DN, root_password=ROOT_PASSWORD),
        encoding="utf-8",
    )
    port = _free_port()
    log = open(folder / "slapd.log", "wb")  # noqa: SIM115 - closed by stop()
    process = subprocess.Popen(  # noqa: S603 - fixed command
        [str(SLAPD), "-f", str(config), "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Slapd(process=process, folder=folder, port=port, log=log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            text = (folder / "slapd.log").read_text(errors="replace")
            stop(server)
            raise RuntimeError(f"slapd exited: {text}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                stop(server)
                raise RuntimeError(f"slapd did not listen on {port} within {timeout} s") from None
            time.sleep(0.1)
    server.ldif(_directory_ldif())
    return server


def stop(server: Slapd) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)
    if server.log is not None:
        server.log.close()
    shutil.rmtree(server.folder, ignore_errors=True)
