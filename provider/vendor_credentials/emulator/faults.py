"""The misbehaviours the emulator can inject, and the broken answers some of them give.

``server`` decides when a fault applies; the vendor's ``Api`` shapes the error and echo answers.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import cache
from typing import Final

from .wire import Reply, json_reply

HUGE_BODY_BYTES: Final = 2 * 1024 * 1024  # twice the client's default limit


class Fault(StrEnum):
    """One misbehaviour the emulator can inject into the next matching request(s)."""

    TOO_MANY_REQUESTS = "429"
    SERVER_ERROR = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    HTML_502 = "html_502"
    TRUNCATED_JSON = "truncated_json"
    MISSING_ACCESS_TOKEN = "missing_access_token"
    BAD_EXPIRES_IN = "bad_expires_in"
    HUGE_BODY = "huge_body"
    ECHO_SECRET = "echo_secret"
    ECHO_ISSUED_TOKEN = "echo_issued_token"  # the probe's 401 repeats the token it was shown
    ECHO_AFTER_PREAMBLE = "echo_after_preamble"  # the secret near the end of a long message
    ECHO_AUTHORIZATION = "echo_authorization"  # the Authorization header (or form body) repeated
    HANG = "hang"
    RESET = "reset"

    @classmethod
    def parse(cls, value: Fault | str | int) -> Fault:
        """Accept enum members, their values, or bare status codes (429 -> TOO_MANY_REQUESTS)."""
        return value if isinstance(value, Fault) else cls(str(value))


#: Faults that only make sense on token endpoints; with no path they skip other routes.
TOKEN_ONLY_FAULTS: Final = frozenset({Fault.MISSING_ACCESS_TOKEN, Fault.BAD_EXPIRES_IN})
#: Faults that, with no path, skip token endpoints: the probe shows the token just issued.
PROBE_ONLY_FAULTS: Final = frozenset({Fault.ECHO_ISSUED_TOKEN})
#: Faults answered by a 401 that repeats what the request carried (leaks to be redacted).
ECHO_FAULTS: Final = frozenset(
    {
        Fault.ECHO_SECRET,
        Fault.ECHO_ISSUED_TOKEN,
        Fault.ECHO_AFTER_PREAMBLE,
        Fault.ECHO_AUTHORIZATION,
    }
)
# Long enough that the secret straddles a 300-character cut of the vendor's message.
ECHO_PREAMBLE: Final = "The credential presented with this request could not be verified. " * 4


HTML_502_BODY: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def html_502_reply() -> Reply:
    """What a proxy in front of the vendor answers when the upstream is down."""
    return Reply(502, HTML_502_BODY, content_type="text/html")


@cache
def _huge_body(size: int) -> bytes:
    filler = size - len(b'{"padding":""}')
    return b'{"padding":"' + b"A" * max(filler, 0) + b'"}'


def huge_reply(size: int = HUGE_BODY_BYTES) -> Reply:
    """A valid but enormous JSON document, to test response size caps (built once: building it
    under the server's lock on a loaded machine made clients time out waiting for headers)."""
    return Reply(200, _huge_body(size))


def apply_body_fault(fault: Fault, reply: Reply) -> Reply:
    """Corrupt a normal answer for the faults that start from one."""
    if fault is Fault.TRUNCATED_JSON:
        cut = max(1, len(reply.body) // 2)
        return Reply(200, reply.body[:cut], headers=reply.headers)
    if fault in TOKEN_ONLY_FAULTS and reply.status == 200:
        try:
            payload = json.loads(reply.body)
        except ValueError:
            return reply
        if not isinstance(payload, dict):
            return reply
        if fault is Fault.MISSING_ACCESS_TOKEN:
            payload.pop("access_token", None)
        else:
            payload["expires_in"] = "soon"
        return json_reply(200, payload, reply.headers)
    return reply
