"""`sar watch`: where replies are read from, as the configuration says.

A Maildir is read once; the IMAP account once, or staying connected until stopped
(sar.mail.sources). Each message goes through sar.inbox.Inbox.ingest.
"""

from __future__ import annotations

from pathlib import Path

from sar.errors import UsageError


def watch(ws, *, maildir: Path | None = None, imap: bool = False, once: bool = False,
          folders: list[str] = (), report=None, stop=None) -> None:
    """Read replies from a Maildir (always once) or the IMAP account (once, or staying
    connected until `stop`). `report(kind, value)` hears of each message."""
    from sar import config as cfg
    from sar.files import expand_user
    from sar.inbox import Inbox
    from sar.mail import settings, sources

    if (maildir is None) == (not imap):
        raise UsageError("say where to read: --maildir DIR or --imap (one of them)")
    if maildir is not None and folders:
        raise UsageError("--folder goes with --imap")
    report = report or (lambda kind, value: None)
    conf = ws.config
    max_bytes = int(cfg.get(conf, "watch.max_message_mb") * 2**20)
    if maildir is not None:
        maildir = expand_user(maildir)
        if not maildir.is_dir():
            raise UsageError(f"{maildir} is not a folder")
        for result in sources.maildir(Inbox(ws), maildir, max_bytes):
            report("message", result)
        return
    source = sources.ImapSource(Inbox(ws), settings.imap(conf),
                                list(folders) or [cfg.get(conf, "imap.folder")], max_bytes)
    sources.watch(source, once=once, report=report, stop=stop,
                  between_rounds=ws.follow_config,  # settings changed while it waited
                  idle_renew=cfg.get(conf, "watch.idle_renew_seconds"),
                  poll=cfg.get(conf, "watch.poll_seconds"),
                  idle_check=min(30.0, cfg.get(conf, "watch.idle_renew_seconds")),
                  use_idle=cfg.get(conf, "watch.use_idle"))
