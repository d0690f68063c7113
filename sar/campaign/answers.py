"""The campaign report's disclosure table: what the answers gave and what they revealed.

Built from the reviews stored for the campaign's access requests (`sar review`, or
`sar campaign review NAME` for all of them), never from identities or the answers'
files: per organisation, how many reviewed answers gave each Art. 15 item, and the
sources, recipients and special-category or inferred data the organisation
disclosed, counted in participants. The 2019 letter that started the project asked
the parties to publish exactly this table.

The same small-number rule as the rest of the report: an organisation whose reviewed
answers come from fewer than `suppress_below` people is blanked (with a second one
when a lone blank could be worked out from the total), and a name disclosed to fewer
than `suppress_below` people is not shown at all — only how many such names were
held back — since a rare source (a council, a club) can point at a person.
"""

from __future__ import annotations

import csv
import html
import io
import json

from sar.core import review as rules

# What a review lists, and how the report names it.
DISCLOSED = (("sources", "source"), ("recipients", "recipient"),
             ("special_category", "special or inferred category"))
ANSWER_EVENTS = ("fulfilled", "partially-fulfilled")


class _Group:
    """One organisation's reviewed answers: enough for `report.suppressed`."""

    def __init__(self):
        self.n = 0
        self.people: set = set()
        self.answered = dict.fromkeys(rules.ITEMS, 0)
        self.names: dict[tuple[str, str], tuple[str, set]] = {}

    def add(self, who, result: dict) -> None:
        self.n += 1
        self.people.add(who)
        for item in rules.ITEMS:
            self.answered[item] += result["items"][item]["status"] == "answered"
        for key, what in DISCLOSED:
            for name in result.get(key) or []:
                shown, people = self.names.setdefault((what, name.casefold()), (name, set()))
                people.add(who)


def _latest_reviews(ws, campaign_id: int, chunk: int = 2000):
    """(org, who, the review as overruled) for each reviewed access request, in chunks."""
    last = 0
    while True:
        # NOT INDEXED: walk the requests by id from `last`, in order, rather than sort
        # the campaign's requests again for each chunk.
        batch = ws.db.execute(
            "SELECT q.id, q.org_slug, COALESCE(q.participant_id, q.ref), r.result, r.overrides "
            "FROM requests q NOT INDEXED JOIN reviews r ON r.id = (SELECT MAX(id) FROM reviews "
            "WHERE request_id = q.id) WHERE q.id > ? AND q.campaign_id = ? AND "
            f"q.kind = 'access' ORDER BY q.id LIMIT {chunk}", [last, campaign_id]).fetchall()
        if not batch:
            return
        last = batch[-1][0]
        for _, org, who, result, overrides in batch:
            yield org, who, rules.overruled(json.loads(result), json.loads(overrides))


def answered_counts(ws, campaign_id: int) -> dict[str, int]:
    """Access requests per organisation with an answer recorded by today."""
    # The answers among the events of the campaign's id range, read once in the
    # (request_id, seq) index's order, rather than a look-up per request.
    return dict(ws.db.execute(
        "SELECT q.org_slug, COUNT(*) FROM requests q WHERE q.campaign_id = :campaign AND "
        "q.kind = 'access' AND q.id IN (SELECT e.request_id FROM events e WHERE "
        "e.request_id BETWEEN (SELECT MIN(id) FROM requests WHERE campaign_id = :campaign) "
        "AND (SELECT MAX(id) FROM requests WHERE campaign_id = :campaign) AND e.kind IN "
        f"({', '.join(repr(k) for k in ANSWER_EVENTS)}) AND e.occurred_on <= :today) "
        "GROUP BY q.org_slug", {"campaign": campaign_id, "today": ws.today.isoformat()}
    ).fetchall())


def build(ws, campaign_id: int, suppress_below: int) -> dict:
    from sar.report import suppressed

    groups: dict[str, _Group] = {}
    everyone = _Group()
    for org, who, result in _latest_reviews(ws, campaign_id):
        groups.setdefault(org, _Group()).add(who, result)
        everyone.add(who, result)
    answers = answered_counts(ws, campaign_id)
    tallies = {**groups, "all": everyone}
    blank = suppressed(tallies, suppress_below)
    rows, disclosed, withheld = [], [], {}
    for org in sorted(groups, key=lambda o: (-groups[o].n, o)) + ["all"]:
        g = tallies[org]
        answers_n = sum(answers.values()) if org == "all" else answers.get(org, 0)
        if org in blank:
            rows.append({"org": org, "answers": None, "reviewed": None, "suppressed": True,
                         "answered": dict.fromkeys(rules.ITEMS)})
            continue
        rows.append({"org": org, "answers": answers_n, "reviewed": g.n,
                     "answered": dict(g.answered)})
        if org == "all":
            continue
        held = 0
        for (what, _), (name, people) in sorted(g.names.items(),
                                                 key=lambda kv: (kv[0][0], -len(kv[1][1]),
                                                                 kv[0][1])):
            if suppress_below and len(people) < suppress_below:
                held += 1
                continue
            disclosed.append({"org": org, "what": what, "name": name, "people": len(people),
                              "reviewed": g.n})
        if held:
            withheld[org] = held
    return {"items": list(rules.ITEMS), "by_organisation": rows, "disclosed": disclosed,
            "withheld": withheld, "suppress_below": suppress_below}


def _share(count, total) -> str:
    if count is None:
        return ""
    return f"{count} ({int(count * 100 / total + 0.5)}%)" if total else str(count)


def heading(item: str) -> str:
    """An Art. 15 item as a column heading: "automated_decisions" -> "Automated decisions"."""
    return item.replace("_", " ").capitalize()


def _org(names: dict | None, org: str) -> str:
    return "All" if org == "all" else (names or {}).get(org) or org


def as_markdown(a: dict, names: dict | None = None) -> str:
    from sar.export import markdown_cell

    items = a["items"]
    lines = ["## What the answers gave (Art. 15)", "",
             "Reviewed answers, and how many of them answered each item in full.", "",
             "| Organisation | Answers | Reviewed | " + " | ".join(map(heading, items)) + " |",
             "| --- | " + " | ".join(["---:"] * (len(items) + 2)) + " |"]
    for r in a["by_organisation"]:
        cells = [_share(r["answered"][i], r["reviewed"]) for i in items]
        lines.append("| " + " | ".join([markdown_cell(_org(names, r["org"])),
                                        "" if r["answers"] is None else str(r["answers"]),
                                        "" if r["reviewed"] is None else str(r["reviewed"]),
                                        *cells]) + " |")
    lines += ["", "## What the answers disclosed", "",
              "| Organisation | Disclosed | Name | Participants |", "| --- | --- | --- | ---: |"]
    for d in a["disclosed"]:
        lines.append(f"| {markdown_cell(_org(names, d['org']))} | {d['what']} | {markdown_cell(d['name'])} "
                     f"| {_share(d['people'], d['reviewed'])} |")
    lines += ["", *_notes(a, names), ""]
    return "\n".join(lines)


def _notes(a: dict, names: dict | None = None) -> list[str]:
    out = []
    for org, n in a["withheld"].items():
        out.append(f"{_org(names, org)}: {n} further name{'s' if n != 1 else ''} disclosed to fewer than "
                   f"{a['suppress_below']} people, not shown.")
    if not a["by_organisation"][:-1]:
        out.append("No answer has been reviewed yet (`sar campaign review NAME`).")
    return out


CSV_EXTRA = ("item", "value", "count", "reviewed")


def csv_rows(a: dict) -> list[list]:
    """Rows for the report's CSV, after its own: `review` rows give an item's answered
    count per organisation, `disclosed` rows a name and the participants told it."""
    out = []
    for r in a["by_organisation"]:
        for item in a["items"]:
            out.append(["review", r["org"], item, "answered", r["answered"][item],
                        r["reviewed"]])
    for d in a["disclosed"]:
        out.append(["disclosed", d["org"], d["what"], d["name"], d["people"], d["reviewed"]])
    for org, n in a["withheld"].items():
        out.append(["disclosed", org, "withheld", f"names told to fewer than "
                    f"{a['suppress_below']} people", n, None])
    return out


def as_csv(base_rows: list[list], base_header: list[str], a: dict) -> str:
    from sar.export import safe_cell

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*base_header, *CSV_EXTRA])
    blanks = [""] * (len(base_header) - 2)
    for row in base_rows:
        w.writerow([*row, *[""] * len(CSV_EXTRA)])
    for group, name, item, value, count, reviewed in csv_rows(a):
        w.writerow([group, safe_cell(name), *blanks, item, safe_cell(value),
                    "" if count is None else count, "" if reviewed is None else reviewed])
    return out.getvalue()


def as_html(a: dict, names: dict | None = None) -> str:
    """The two tables as HTML, every untrusted string cleaned and escaped."""
    from sar.campaign.html import MISSING, clean

    def text(v) -> str:
        return html.escape(clean(v, 120), quote=True)

    items = a["items"]
    head = "".join(f'<th scope="col">{text(heading(i))}</th>'
                   for i in ("answers", "reviewed", *items))
    body = []
    for r in a["by_organisation"]:
        label = "All" if r["org"] == "all" else f"<bdi>{text(_org(names, r['org']))}</bdi>"
        cells = [MISSING if r[k] is None else str(r[k]) for k in ("answers", "reviewed")]
        cells += [_share(r["answered"][i], r["reviewed"]) or MISSING for i in items]
        attrs = ' class="suppressed"' if r.get("suppressed") else ""
        body.append(f'<tr{attrs}><th scope="row">{label}</th>'
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    disclosed = "".join(
        f'<tr><th scope="row"><bdi>{text(_org(names, d["org"]))}</bdi></th>'
        f'<td>{text(d["what"])}</td>'
        f'<td><bdi>{text(d["name"])}</bdi></td><td>{_share(d["people"], d["reviewed"])}</td>'
        "</tr>" for d in a["disclosed"])
    notes = "".join(f'<p class="note">{text(n)}</p>' for n in _notes(a, names))
    return "\n".join([
        "<h2>What the answers gave (Art. 15)</h2>",
        '<div class="scroll"><table id="answers-items" class="short"><caption>Reviewed answers, and how '
        "many answered each item in full</caption>",
        f'<thead><tr><th scope="col">Organisation</th>{head}</tr></thead>',
        "<tbody>", *body, "</tbody></table></div>",
        "<h2>What the answers disclosed</h2>",
        '<div class="scroll"><table id="answers-disclosed"><caption>Sources, recipients and '
        "special or inferred categories named, in participants</caption>",
        '<thead><tr><th scope="col">Organisation</th><th scope="col">Disclosed</th>'
        '<th scope="col">Name</th><th scope="col">Participants</th></tr></thead>',
        f"<tbody>{disclosed}</tbody></table></div>", notes])


def review_all(campaigns, name: str, *, again: bool = False, progress=None) -> dict:
    """`sar campaign review NAME`: review every answered access request of the
    campaign that has no review yet (with `again`, every one), in chunks;
    `progress(n, None, ref)` after each (the total is not counted first)."""
    from sar.errors import UsageError

    ws = campaigns.ws
    c = campaigns.get(name)
    done = {"campaign": c["name"], "reviewed": 0, "already": 0, "nothing_to_read": 0}
    last = 0
    while True:
        batch = ws.db.execute(
            "SELECT q.id, q.ref, EXISTS (SELECT 1 FROM reviews r WHERE r.request_id = q.id) "
            "FROM requests q WHERE q.campaign_id = ? AND q.kind = 'access' AND q.id > ? "
            "AND EXISTS (SELECT 1 FROM events e WHERE e.request_id = q.id AND e.kind IN "
            "(SELECT value FROM json_each(?)) AND e.occurred_on <= ?) ORDER BY q.id LIMIT 500",
            [c["id"], last, json.dumps(ANSWER_EVENTS), ws.today.isoformat()]).fetchall()
        if not batch:
            return done
        last = batch[-1][0]
        for _, ref, reviewed in batch:
            if progress:
                progress(sum(done[k] for k in ("reviewed", "already", "nothing_to_read")),
                         None, ref)
            if reviewed and not again:
                done["already"] += 1
                continue
            try:
                ws.reviews.run(ref)
                done["reviewed"] += 1
            except UsageError:  # a purged answer, or one with nothing readable
                done["nothing_to_read"] += 1
