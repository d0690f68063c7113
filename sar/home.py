"""The home directory and its configuration.

One folder holds everything: config.toml, sar.db, evidence/, outbox/, letters/,
orgs/ and templates/ overrides. It is SAR_HOME or --home, else the platform's user
data directory. Folders are 0700 and files 0600: the contents are personal data.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path

from sar.errors import StoreError, UsageError
from sar.files import write_private

ENV_HOME = "SAR_HOME"
ENV_TODAY = "SAR_TODAY"


def default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("sar", appauthor=False))


def resolve(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser()
    return default_home()


def today() -> dt.date:
    """SAR_TODAY when set (what-if views and tests), else the local date."""
    value = os.environ.get(ENV_TODAY)
    if not value:
        return dt.date.today()
    from sar.core.dates import parse_date

    try:
        return parse_date(value)
    except ValueError as e:
        raise UsageError(f"SAR_TODAY: {e}") from None


def clock_is_real() -> bool:
    return not os.environ.get(ENV_TODAY)


class Home:
    """Paths under one home directory, created on first write."""

    def __init__(self, root: Path):
        self.root = root
        self.config_path = root / "config.toml"
        self.db_path = root / "sar.db"
        self.evidence = root / "evidence"
        self.outbox = root / "outbox"
        self.letters = root / "letters"
        self.orgs = root / "orgs"
        self.templates = root / "templates"
        self._key: bytes | None = None

    @property
    def encrypted(self) -> bool:
        from sar import crypto

        return crypto.is_encrypted(self.root)

    @property
    def key(self) -> bytes | None:
        """The home's key when it is encrypted (sar.crypto), else None."""
        if self._key is None and self.encrypted:
            from sar import crypto

            self._key = crypto.load_key(self.root)
        return self._key

    def read_only(self) -> bool:
        """The home exists and this user may not write to it (or to its database): it
        can still be looked at (status, list, show ...), not changed. os.access, not the
        mode bits: root may write to a folder whose bits say no."""
        return self.root.is_dir() and (
            not os.access(self.root, os.W_OK)
            or (self.db_path.exists() and not os.access(self.db_path, os.W_OK)))

    def ensure(self) -> None:
        """Create the home with private permissions, or say why it cannot be."""
        try:
            if self.root.exists() and not self.root.is_dir():
                raise StoreError(f"cannot use {self.root} as the sar home: it is not a directory")
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            probe = self.root / f".write-test-{os.getpid()}"
            probe.touch()
            probe.unlink()
        except StoreError:
            raise
        except OSError as e:
            raise StoreError(f"cannot write to the sar home {self.root}: {e.strerror}") from None

    def subdir(self, path: Path) -> Path:
        """A folder under the home, private at every level (mkdir's parents=True would
        give the intermediate ones the umask's 0o755)."""
        if path.is_dir() and self.read_only():
            return path  # to be read: a read-only home is looked at, not changed
        self.ensure()
        current = self.root
        for part in path.relative_to(self.root).parts:
            current = current / part
            current.mkdir(mode=0o700, exist_ok=True)
        return path

    @property
    def sealed_config_path(self) -> Path:
        """Where an encrypted home keeps its configuration."""
        return self.config_path.with_name("config.toml.enc")

    def config_stamp(self) -> tuple[int, int] | None:
        """When the configuration file last changed, and its size (None: there is none)."""
        try:
            st = (self.sealed_config_path if self.encrypted else self.config_path).stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def load_config(self) -> dict:
        if self.encrypted:
            from sar import crypto

            sealed = self.sealed_config_path
            if not sealed.exists():
                return {}
            text = crypto.decrypt(self.key, sealed.read_bytes(), str(sealed)).decode("utf-8")
            return tomllib.loads(text)
        if not self.config_path.exists():
            return {}
        try:
            return tomllib.loads(self.config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise StoreError(f"{self.config_path} is not valid TOML: {e}") from None

    def save_config(self, config: dict) -> None:
        import tomli_w

        self.ensure()
        data = tomli_w.dumps(config).encode("utf-8")
        if self.encrypted:
            from sar import crypto

            # The profile is personal data: sealed like the rest.
            write_private(self.sealed_config_path, crypto.encrypt(self.key, data))
            return
        write_private(self.config_path, data)
