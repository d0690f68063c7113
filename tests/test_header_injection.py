"""No user-supplied text can add a header to a letter sent by email."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

INJECT = "Robin\r\nBcc: spy@evil.example"


@pytest.mark.parametrize("args", [
    ("init", "--name", INJECT, "--email", "robin@example.org", "--address", "1 Lane, X",
     "--no-input"),
    ("init", "--name", "Robin", "--email", "robin@example.org\nBcc: spy@evil.example",
     "--address", "1 Lane, X", "--no-input"),
    ("orgs", "add", "--slug", "evil", "--name", "Evil\nBcc: spy@evil.example", "--email",
     "dpo@evil.example"),
    ("orgs", "add", "--slug", "evil", "--name", "Evil", "--email",
     "dpo@evil.example\r\nBcc: spy@evil.example"),
])
def test_line_breaks_in_names_and_addresses_are_refused(sar, args):
    assert sar.fails(*args).startswith("Error: ")


def test_what_goes_out_has_only_the_headers_sar_wrote(me, home):
    me("orgs", "add", "--slug", "odd", "--name", "Odd: Name; <Ltd> \"quoted\"", "--email",
       "dpo@odd.example")
    ref = me("new", "erasure", "--to", "odd", "--details", "Bcc: spy@evil.example",
             "--json").json()[0]["ref"]
    me("send", ref)
    [path] = list((home / "outbox" / "new").iterdir())
    msg = message_from_bytes(path.read_bytes(), policy=default)
    assert sorted(k.lower() for k in msg) == sorted(
        ["from", "to", "subject", "date", "message-id", "content-type",
         "content-transfer-encoding", "mime-version"])
    assert [a.addr_spec for a in msg["To"].addresses] == ["dpo@odd.example"]
    assert msg["Bcc"] is None
