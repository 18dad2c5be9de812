"""What can go wrong with a backup; every message says what to do about it.

::

    BackupError                  a backup cannot be made or put away (database, storage…)
    └── ArchiveRefused           an archive that must not be restored; nothing was touched
        ├── NotAnArchive         not a storefront backup at all
        ├── TruncatedArchive     it ends early (an interrupted upload or copy)
        ├── CorruptArchive       a block or a checksum does not match
        ├── WrongKey             DATA_KEYS does not hold the key it was sealed with
        ├── NewerSchema          written by a newer version of the shop
        └── WrongDatabase        a SQLite backup for a PostgreSQL DATABASE_URL or back
    TargetNotEmpty               the database to restore into holds data (say --yes)
    RestoreIncomplete            the restore failed part-way (the message says what is done)
"""

from __future__ import annotations


class BackupError(Exception):
    """A backup cannot be made, stored or restored."""


class ArchiveRefused(BackupError):
    """The archive is refused before anything is overwritten."""


class NotAnArchive(ArchiveRefused):
    pass


class TruncatedArchive(ArchiveRefused):
    pass


class CorruptArchive(ArchiveRefused):
    pass


class WrongKey(ArchiveRefused):
    pass


class NewerSchema(ArchiveRefused):
    pass


class WrongDatabase(ArchiveRefused):
    pass


class TargetNotEmpty(BackupError):
    pass


class RestoreIncomplete(BackupError):
    pass
