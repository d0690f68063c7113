"""The letter of authority a participant signs for an agent campaign.

The ICO accepts a request made through a third party when the third party shows
written authority (ICO, SAR checklist for SMEs); Consumer Reports asks that the
person, not the agent, receive the data. So the mandate names the person, the
campaign, each organisation and request kind, says where the data goes, when the
authority ends, and how it was signed: by returning a code mailed to the person's
own address. It is written once, at confirmation, kept in the evidence store (its
hash on the participant) and attached, byte for byte, to every letter sent for them.
It is plain UTF-8 text: any organisation can read it, and a copy on each of 200,000
letters costs 2 KB each rather than the 37 KB of a Word file.
"""

from __future__ import annotations

import datetime as dt

KIND_WORDS = {"access": "a subject access request (Article 15)",
              "erasure": "an erasure request (Article 17)",
              "objection": "an objection to processing (Article 21)",
              "rectification": "a rectification request (Article 16)",
              "restriction": "a request to restrict processing (Article 18)",
              "portability": "a data portability request (Article 20)"}


def mandate_letter(c: dict, person: dict, pseudonym: str, orgs: list[str], signed_at: str):
    from sar.letters import Letter
    from sar.letters.markup import parse

    signed = dt.datetime.fromisoformat(signed_at)
    agent = f"{c['sender_name']} ({c['sender_email']})"
    where = (f"to me directly, at {person['email']}" if c["replies"] == "participant" else
             f"to me at {person['email']}; correspondence about the request may go to "
             f"{c['sender_name']}")
    body = "\n".join([
        f"I, {person['name']}, of {', '.join(person['address'])}, authorise {agent} to make "
        "the following requests in my name under data protection law, and to send "
        "reminders and complaints about them, including to the regulator:",
        "",
        *[f"- {KIND_WORDS.get(k, k)}" for k in c["kinds"]],
        "",
        "to each of these organisations:",
        "",
        *[f"- {name}" for name in orgs],
        "",
        f"Please send my personal data {where}.",
        "",
        f"This authority is for the campaign {c['name']} only. It ends on "
        f"{c['retain_until']}, or earlier if I withdraw it.",
        "",
        f"Signed electronically on {signed.date().isoformat()} at "
        f"{signed.strftime('%H:%M')} UTC: I confirmed it by returning the code "
        f"{c['sender_name']} sent to {person['email']}. Reference: {c['name']}/{pseudonym}.",
    ])
    return Letter(ref=f"{c['name']}/{pseudonym}", kind="mandate", date=signed.date(),
                  sender=[person["name"], *person["address"], person["email"]],
                  recipient=["To whom it may concern"], subject="Letter of authority",
                  salutation="To whom it may concern,", body=parse(body),
                  closing="Signed,", signature=[person["name"]])


def mandate_text(c: dict, person: dict, pseudonym: str, orgs: list[str],
                 signed_at: str) -> bytes:
    from sar.letters.text import as_text

    return as_text(mandate_letter(c, person, pseudonym, orgs, signed_at)).encode("utf-8")
