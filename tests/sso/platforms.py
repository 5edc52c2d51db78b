"""Small real HTTP servers on loopback (ports 15420–15439) standing in for WeCom, DingTalk and Feishu in
the sign-in tests: each implements the documented endpoints our sign-in calls (the authorize page, the
code and token exchanges, user info, the organisation's directory), checks the app's id and secret and
the tokens it issued, and honours each code once, so a wrong secret or a replayed code fails as there.

The authorize page signs in the person named by ``as=<userid>`` (what a person does at the platform)
and sends the browser back with a code. ``server.trouble`` makes the next answers fail: "errcode" (an
error code in a 200 answer), "http500", or "slow" (answers after TROUBLE_SLOW_SECONDS).
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

PORTS = range(15420, 15440)
TROUBLE_SLOW_SECONDS = 2.0
AUTHORIZE_PAGES = {"/wwlogin/sso/login", "/oauth2/auth", "/open-apis/authen/v1/index"}


@dataclass
class Member:
    userid: str
    name: str
    email: str = ""
    departments: tuple[int, ...] = ()
    member: bool = True  # False: has an account on the platform, but outside our organisation


@dataclass
class Platform:
    """What the fake platform knows and has issued."""

    kind: str
    client_id: str
    secret: str
    agent_id: str = ""
    people: dict[str, Member] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # code → userid, used once
    user_tokens: dict[str, str] = field(default_factory=dict)  # user access token → userid
    app_tokens: set[str] = field(default_factory=set)
    trouble: str = ""
    calls: list[str] = field(default_factory=list)
    url: str = ""

    def issue(self, store, value) -> str:
        token = secrets.token_urlsafe(12)
        store[token] = value
        return token


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 15420-15439")


class _Handler(BaseHTTPRequestHandler):
    platform: Platform  # set on the subclass made for each server

    def log_message(self, *args):  # quiet
        pass

    # -- plumbing

    def _answer(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {}

    def _bearer(self) -> str:
        return (self.headers.get("Authorization") or "").removeprefix("Bearer ")

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        platform = self.platform
        platform.calls.append(parts.path)
        if platform.trouble == "http500" and parts.path not in AUTHORIZE_PAGES:
            return self._answer({"error": "internal"}, 500)
        if platform.trouble == "slow" and parts.path not in AUTHORIZE_PAGES:
            time.sleep(TROUBLE_SLOW_SECONDS)
        handler = getattr(self, f"{platform.kind}_{method}", None)
        handler(parts.path, query)

    def do_GET(self):  # noqa: N802 - http.server's name
        self._route("get")

    def do_POST(self):  # noqa: N802
        self._route("post")

    def _authorize(self, query: dict, client_key: str, code_name: str = "code", **extra) -> None:
        """The platform's sign-in page: the person ``as`` signs in and goes back with a code."""
        platform = self.platform
        person = platform.people.get(query.get("as", ""))
        if query.get(client_key) != platform.client_id or person is None:
            return self._answer({"error": "unknown app or person"}, 400)
        code = platform.issue(platform.codes, person.userid)
        back = {code_name: code, "state": query.get("state", ""), **extra}
        return self._redirect(query["redirect_uri"] + "?" + urlencode(back))

    def _take_code(self, code: str) -> Member | None:
        userid = self.platform.codes.pop(code, None)  # once only
        return self.platform.people.get(userid) if userid else None

    # -- WeCom: https://developer.work.weixin.qq.com/document/path/98152 (web sign-in), 91039, 91023, 90196

    def wecom_get(self, path: str, query: dict) -> None:
        platform = self.platform
        if path == "/wwlogin/sso/login":
            if query.get("login_type") != "CorpApp" or query.get("agentid") != platform.agent_id:
                return self._answer({"error": "bad login_type or agentid"}, 400)
            return self._authorize(query, "appid", appid=platform.client_id)
        if path == "/cgi-bin/gettoken":
            if (query.get("corpid"), query.get("corpsecret")) != (platform.client_id, platform.secret):
                return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
            token = secrets.token_urlsafe(12)
            platform.app_tokens.add(token)
            return self._answer({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
        if query.get("access_token") not in platform.app_tokens:
            return self._answer({"errcode": 40014, "errmsg": "invalid access_token"})
        if platform.trouble == "errcode":
            return self._answer(
                {"errcode": 60011, "errmsg": "no privilege to access/modify contact/party/agent"}
            )
        if path == "/cgi-bin/auth/getuserinfo":
            person = self._take_code(query.get("code", ""))
            if person is None:
                return self._answer({"errcode": 40029, "errmsg": "invalid code"})
            if not person.member:
                return self._answer({"errcode": 0, "errmsg": "ok", "openid": "o-" + person.userid})
            return self._answer({"errcode": 0, "errmsg": "ok", "userid": person.userid, "user_ticket": "t"})
        if path == "/cgi-bin/user/get":
            person = platform.people.get(query.get("userid", ""))
            if person is None or not person.member:
                return self._answer({"errcode": 60111, "errmsg": "userid not found"})
            return self._answer(
                {
                    "errcode": 0,
                    "errmsg": "ok",
                    "userid": person.userid,
                    "name": person.name,
                    "department": list(person.departments),
                    "email": person.email,
                    "status": 1,
                }
            )
        return self._answer({"errcode": 404, "errmsg": "no such path"}, 404)

    # -- DingTalk: https://open.dingtalk.com/document/orgapp/tutorial-obtaining-user-personal-information

    def dingtalk_get(self, path: str, query: dict) -> None:
        platform = self.platform
        if path == "/oauth2/auth":
            if query.get("response_type") != "code":
                return self._answer({"error": "response_type"}, 400)
            return self._authorize(query, "client_id", code_name="authCode")
        if path == "/v1.0/contact/users/me":
            userid = platform.user_tokens.get(self.headers.get("x-acs-dingtalk-access-token") or "")
            if userid is None:
                return self._answer({"code": "InvalidAuthentication", "message": "不合法的access_token"}, 401)
            person = platform.people[userid]
            return self._answer(
                {"nick": person.name, "unionId": "union-" + userid, "openId": "open-" + userid}
            )
        if path == "/gettoken":
            if (query.get("appkey"), query.get("appsecret")) != (platform.client_id, platform.secret):
                return self._answer({"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"})
            token = secrets.token_urlsafe(12)
            platform.app_tokens.add(token)
            return self._answer({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
        return self._answer({"errcode": 404, "errmsg": "no such path"}, 404)

    def dingtalk_post(self, path: str, query: dict) -> None:
        platform = self.platform
        body = self._body()
        if path == "/v1.0/oauth2/userAccessToken":
            if (body.get("clientId"), body.get("clientSecret")) != (platform.client_id, platform.secret):
                return self._answer({"code": "invalidClientSecret", "message": "无效的clientSecret"}, 400)
            person = self._take_code(body.get("code", ""))
            if person is None or body.get("grantType") != "authorization_code":
                return self._answer({"code": "invalidAuthCode", "message": "不合法的临时授权码"}, 400)
            token = platform.issue(platform.user_tokens, person.userid)
            return self._answer(
                {"accessToken": token, "refreshToken": "r", "expireIn": 7200, "corpId": "ding1"}
            )
        if query.get("access_token") not in platform.app_tokens:
            return self._answer({"errcode": 88, "errmsg": "不合法的access_token"})
        if platform.trouble == "errcode":
            return self._answer({"errcode": 60011, "errmsg": "管理员权限不足"})
        if path == "/topapi/user/getbyunionid":
            userid = str(body.get("unionid", "")).removeprefix("union-")
            person = platform.people.get(userid)
            if person is None or not person.member:
                return self._answer({"errcode": 60121, "errmsg": "找不到该用户"})
            return self._answer(
                {"errcode": 0, "errmsg": "ok", "result": {"contact_type": 0, "userid": userid}}
            )
        if path == "/topapi/v2/user/get":
            person = platform.people.get(body.get("userid", ""))
            if person is None or not person.member:
                return self._answer({"errcode": 60121, "errmsg": "找不到该用户"})
            result = {
                "userid": person.userid,
                "name": person.name,
                "dept_id_list": list(person.departments),
                "org_email": person.email,
                "active": True,
            }
            return self._answer({"errcode": 0, "errmsg": "ok", "result": result})
        return self._answer({"errcode": 404, "errmsg": "no such path"}, 404)

    # -- Feishu: https://open.feishu.cn/document/server-docs/authentication-management/ (v1 login),
    #    contact/v3/users/:user_id

    def feishu_get(self, path: str, query: dict) -> None:
        platform = self.platform
        if path == "/open-apis/authen/v1/index":
            return self._authorize(query, "app_id")
        if path == "/open-apis/authen/v1/user_info":
            userid = platform.user_tokens.get(self._bearer())
            if userid is None:
                return self._answer({"code": 99991668, "msg": "Invalid access token for authorization."})
            person = platform.people[userid]
            return self._answer(
                {"code": 0, "msg": "success", "data": {"name": person.name, "open_id": "ou_" + userid}}
            )
        if path.startswith("/open-apis/contact/v3/users/"):
            if self._bearer() not in platform.app_tokens:
                return self._answer({"code": 99991663, "msg": "Invalid access token for authorization."})
            if platform.trouble == "errcode":
                return self._answer({"code": 40004, "msg": "no dept authority error"})
            person = platform.people.get(path.rsplit("/", 1)[1].removeprefix("ou_"))
            if person is None or not person.member or query.get("user_id_type") != "open_id":
                return self._answer({"code": 41050, "msg": "no user authority error"})
            user = {
                "user_id": person.userid,
                "open_id": "ou_" + person.userid,
                "name": person.name,
                "enterprise_email": person.email,
                "department_ids": [str(department) for department in person.departments],
                "status": {"is_frozen": False, "is_resigned": False, "is_activated": True},
            }
            return self._answer({"code": 0, "msg": "success", "data": {"user": user}})
        return self._answer({"code": 404, "msg": "no such path"}, 404)

    def feishu_post(self, path: str, query: dict) -> None:
        platform = self.platform
        body = self._body()
        if path in (
            "/open-apis/auth/v3/app_access_token/internal",
            "/open-apis/auth/v3/tenant_access_token/internal",
        ):
            if (body.get("app_id"), body.get("app_secret")) != (platform.client_id, platform.secret):
                return self._answer({"code": 10014, "msg": "app secret invalid"})
            token = secrets.token_urlsafe(12)
            platform.app_tokens.add(token)
            kind = path.split("/")[-2]
            return self._answer({"code": 0, "msg": "ok", kind: token, "expire": 7200})
        if path == "/open-apis/authen/v1/access_token":
            if self._bearer() not in platform.app_tokens:
                return self._answer({"code": 99991663, "msg": "Invalid access token for authorization."})
            person = self._take_code(body.get("code", ""))
            if person is None or body.get("grant_type") != "authorization_code":
                return self._answer({"code": 20007, "msg": "invalid code"})
            token = platform.issue(platform.user_tokens, person.userid)
            data = {
                "access_token": token,
                "refresh_token": "r",
                "expires_in": 6900,
                "open_id": "ou_" + person.userid,
            }
            return self._answer({"code": 0, "msg": "success", "data": data})
        return self._answer({"code": 404, "msg": "no such path"}, 404)


class Server:
    """One fake platform listening on loopback until stop()."""

    def __init__(self, platform: Platform):
        self.platform = platform
        handler = type(f"{platform.kind}Handler", (_Handler,), {"platform": platform})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
        self.httpd.daemon_threads = True
        platform.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
