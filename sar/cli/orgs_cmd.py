"""`sar orgs`: the organisation directory."""

from pathlib import Path
from typing import Annotated

import typer

from sar.cli import output
from sar.cli.helptext import PanelGroup
from sar.cli.root import app, workspace

orgs_app = typer.Typer(cls=PanelGroup, help="Find organisations and their contacts.",
                       no_args_is_help=True)
app.add_typer(orgs_app, name="orgs", rich_help_panel="Directory")


@orgs_app.command("list")
def orgs_list(
    kind: Annotated[str | None, typer.Option(metavar="KIND", help="Only this kind, e.g. political-party, data-broker.")] = None,
    country: Annotated[str | None, typer.Option(metavar="CC", help="Only this country (GB, IE, ...).")] = None,
    group: Annotated[str | None, typer.Option(metavar="GROUP", help="Only the members of this group, e.g. uk-parties.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include imported records too.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List organisations, with how to reach each."""
    from sar import validate

    directory = workspace().directory
    if kind is not None:
        directory.all(kind)  # an unknown kind is an error, not an empty list
    if country is not None:
        country = validate.country(country)
    if group:
        found = [o for o in directory.group(group)
                 if (kind is None or o.kind == kind)
                 and (country is None or (o.country or "").upper() == country.upper())]
    else:
        found = directory.all(kind, include_imported=all_, country=country)
    for problem in directory.problems:
        typer.echo(f"Warning: {problem}", err=True)
    orgs = [o.as_dict() for o in found]
    if json_:
        output.emit_json(orgs)
        return
    if not orgs:
        typer.echo("No organisations match." + ("" if all_ else
                                                " (--all includes imported records)"))
        return
    for o in orgs:
        o["contact"] = o["email"] or ("post" if o["address"] else "none known")
    # A table per kind, not a column of it: the room goes to the names and the
    # addresses, which are never cut or broken.
    columns = [("slug", "slug"), ("name", "name"), ("contact", "contact")]
    kinds = sorted({o["kind"] or "other" for o in orgs})
    for i, k in enumerate(kinds):
        if i:
            typer.echo("")
        rows = [o for o in orgs if (o["kind"] or "other") == k]
        output.table(rows, columns, keep=("slug", "contact"),
                     title=None if kind else f"{k} ({len(rows)})")


@orgs_app.command("show")
def orgs_show(
    slug: Annotated[str, typer.Argument(metavar="SLUG", help="The organisation's slug (or an alias).")],
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Everything known about one organisation, and where it was read."""
    directory = workspace().directory
    o = directory.get(slug).as_dict()
    if json_:
        output.emit_json(o)
        return
    # Records come from elsewhere (an import, a file): no escape reaches the terminal.
    o = output.clean_all(o)
    for old, new in directory.redirected.items():
        typer.echo(f"Note: {old} is an obsolete record: this is {new}, which replaces it",
                   err=True)
    typer.echo(f"{o['name']} ({o['slug']}) — {o['kind']}, {o['country'] or 'country unknown'}")
    if o["controller"] and o["controller"] != o["name"]:
        typer.echo(f"  controller for UK users: {o['controller']}")
    for key, words in _REGISTERS:
        if o[key]:
            typer.echo(f"  {words}: {o[key]}")
    if o["aliases"]:
        typer.echo(f"  also known as: {', '.join(o['aliases'])}")
    typer.echo(f"  email:    {o['email'] or 'none known'}")
    for alt in o["alt_emails"]:
        typer.echo(f"            {alt} (alternative)")
    if o["webform"]:
        typer.echo(f"  web form: {o['webform']}")
    typer.echo("  post:     " + ("\n            ".join(o["address_lines"]) if o["address_lines"]
                                 else "none known"))
    if o["phone"]:
        typer.echo(f"  phone:    {o['phone']}")
    if o["web"]:
        typer.echo(f"  web:      {o['web']}")
    if o["id_required"]:
        typer.echo(f"  identity: {o['id_required']}")
    if o["lang"]:
        typer.echo(f"  language: {o['lang']}")
    if o["quality"]:
        typer.echo(f"  quality:  {o['quality']} ({_QUALITY_WORDS.get(o['quality'], 'as its source says')})")
    if o["relevant_countries"]:
        typer.echo(f"  for:      {', '.join(c.upper() for c in o['relevant_countries'])} "
                   "(where its source says it applies)")
    typer.echo(f"  domains:  {', '.join(o['domains']) or 'none known'}")
    if o["reply_domains"]:
        typer.echo(f"  replies also trusted from: {', '.join(o['reply_domains'])} "
                   "(the services it answers through)")
    typer.echo(f"  regime:   {o['regime'] or 'from your profile'}; calendar "
               f"{o['calendar'] or 'from your profile'}; "
               + _CHANNEL_WORDS.get(o["channel"], f"letters go by {o['channel']}"))
    if o["note"]:
        typer.echo(f"  note:     {o['note']}")
    for s in o["sources"]:
        typer.echo(f"  source:   {s['url']} (read: {s.get('read', 'undated')})")
    if o["checked"]:
        typer.echo(f"  checked:  {o['checked']} (its facts compared with the sources above)")
    typer.echo(f"  verified: {o['verified_on'] or 'no — check the organisation’s own page first'}")


_REGISTERS = (("ico_registration", "ICO registration"),
              ("electoral_commission", "Electoral Commission"),
              ("company_number", "company number"))


_QUALITY_WORDS = {
    "tested": "someone has sent a request with these details",
    "verified": "a person checked it on the organisation's own pages",
    "imported": "from another data set, checked by a person",
    "scraped": "collected by a machine and checked by nobody: check it before relying on it"}


_CHANNEL_WORDS = {"email": "letters go by email", "post": "letters go by post",
                  "webform": "it asks for its web form",
                  "none": "no way to write to it is known yet"}


# The fields `orgs add` and `orgs edit` share.
NameOpt = Annotated[str | None, typer.Option(metavar="NAME", help="The organisation's name.")]
EmailOpt = Annotated[str | None, typer.Option(metavar="EMAIL", help="Its privacy or DPO email address.")]
AddressOpt = Annotated[str | None, typer.Option(metavar="ADDRESS", help="Its postal address on one line.")]
DomainOpt = Annotated[list[str] | None, typer.Option(
    "--domain", metavar="DOMAIN", help="A mail domain it replies from (repeatable).")]
ReplyDomainOpt = Annotated[list[str] | None, typer.Option(
    "--reply-domain", metavar="DOMAIN",
    help="A service it answers through, such as its ticket or privacy-request platform "
         "(repeatable; replaces the record's list): a reply from it counts once its "
         "thread or reference names the request, never by the domain alone.")]
KindOpt = Annotated[str | None, typer.Option(metavar="KIND", help="political-party, data-broker, ...")]
CountryOpt = Annotated[str | None, typer.Option(metavar="CC", help="ISO country code, e.g. GB.")]
CalendarOpt = Annotated[str | None, typer.Option(metavar="CAL", help="Holiday calendar for its deadlines.")]
RegimeOpt = Annotated[str | None, typer.Option(metavar="REGIME", help="uk-gdpr, eu-gdpr or ccpa.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the record as JSON.")]


def _saved(record: dict, json_: bool) -> None:
    if json_:
        output.emit_json(record)
    else:
        typer.echo(f"Saved {record['slug']} ({record['origin']}).")


@orgs_app.command("add")
def orgs_add(
    slug: Annotated[str, typer.Option(metavar="SLUG", help="A short name, lower case: acme or labour.")],
    name: NameOpt = None, email: EmailOpt = None, address: AddressOpt = None,
    domain: DomainOpt = None, reply_domain: ReplyDomainOpt = None, kind: KindOpt = None,
    country: CountryOpt = None, calendar: CalendarOpt = None, regime: RegimeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add your own organisation, or correct a built-in one (same slug)."""
    _saved(workspace().add_org(slug=slug, name=name, email=email, domains=domain or [],
                               reply_domains=reply_domain or [], kind=kind, country=country,
                               calendar=calendar, regime=regime, address=address), json_)

@orgs_app.command("search")
def orgs_search(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="A name, alias, brand or domain.")],
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find an organisation by name, alias or domain, imported records included."""
    hits = workspace().directory.search(text)
    if json_:
        output.emit_json([{**o.as_dict(), "score": score} for score, o in hits])
        return
    if not hits:
        typer.echo("Nothing found. Add it yourself with `sar orgs add`.")
        return
    output.table([{"slug": o.slug, "name": o.name, "kind": o.kind,
                   "origin": o.origin + (f" ({o.quality})" if o.quality else ""),
                   "contact": o.email or ("post" if o.address else o.webform or "none known")}
                  for _, o in hits],
                 [("slug", "slug"), ("name", "name"), ("kind", "kind"), ("origin", "from"),
                  ("contact", "contact")])


@orgs_app.command("groups")
def orgs_groups(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The groups usable as --to @GROUP, with their members."""
    directory = workspace().directory
    rows = [{"group": f"@{g.name}", "description": g.description,
             "members": [o.slug for o in directory.group(g.name)]}
            for g in directory.groups().values()]
    if json_:
        output.emit_json(rows)
        return
    for row in rows:  # wrapped to the terminal, members under their group
        output.say(f"{row['group']}  {row['description']}", hang="  ")
        output.say(', '.join(row['members']) or '(none yet)', indent="    ")


@orgs_app.command("edit")
def orgs_edit(
    slug: Annotated[str, typer.Argument(metavar="SLUG", help="The organisation to change.")],
    name: NameOpt = None, email: EmailOpt = None, address: AddressOpt = None,
    domain: DomainOpt = None, reply_domain: ReplyDomainOpt = None, kind: KindOpt = None,
    country: CountryOpt = None, calendar: CalendarOpt = None, regime: RegimeOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Correct an organisation's record; your changes are kept in your sar home."""
    _saved(workspace().edit_org(slug, name=name, email=email, domains=domain or [],
                                reply_domains=reply_domain or [], kind=kind, country=country,
                                calendar=calendar, regime=regime, address=address), json_)

@orgs_app.command("import")
def orgs_import(
    folder: Annotated[Path, typer.Argument(
        metavar="FOLDER", help="A clone of the datenanfragen.de data repository.")],
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import an open directory of privacy contacts (the datenanfragen.de format).

    Imported records sit under the built-in ones and yours; importing again replaces
    the previous import. It prints how many records were loaded, which were rejected
    and why, and how many are of each quality (tested, verified, scraped) and kind.
    """
    with output.shown_progress("importing", off=json_) as progress:
        report = workspace().import_orgs(folder, progress)
    if json_:
        output.emit_json(report.as_dict())
        return
    for line in report.summary():
        typer.echo(line)
    for name, reason, _ in report.rejected:
        typer.echo(f"Rejected {name}: {reason}", err=True)
