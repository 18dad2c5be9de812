"""Backups of the shop: the database and the content in one encrypted archive.

An archive (``storefront-<UTC time>-<random>.sfbak``) is a gzipped tar of::

    manifest.json              what is inside: files with size and SHA-256, row counts,
                               document counts, schema revision, content source
    database/storefront.pgdump pg_dump's custom format (PostgreSQL), or
    database/storefront.sqlite3 a copy made with SQLite's online backup API
    content/data.ndjson        every document of the dataset, drafts and assets included
    content/images/…, files/…  the asset binaries (Sanity's export layout)

sealed with AES-256-GCM under the newest of the shop's data keys (``DATA_KEYS``; see
:mod:`storefront.backups.envelope` for the format). The unencrypted header names the key
and the schema revision, so a wrong key or a backup from a newer version is refused before
anything is decrypted, and the header is authenticated with every block of the archive.

Modules: ``envelope`` (encryption), ``archive`` (tar, manifest, checksums), ``database``
(dump and restore), ``content`` (the dataset, through Sanity's API or the local lake),
``storage`` (a folder or S3-compatible storage), ``retention`` (what to keep) and
``services`` (create, verify, restore, prune).
"""
