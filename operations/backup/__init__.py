"""Backups of everything in a CVD home that cannot be rebuilt, and their restore.

A backup folder holds content-addressed blobs shared by every snapshot (``blobs/<sha[:2]>/<sha>``,
so a blob already backed up is never copied again) and one folder per snapshot
(``snapshots/<UTC time>/``) with the database copies and ``manifest.json``, written last. The
lake and the warehouse are rebuilt from the archive by ``cvd materialize`` and are only backed
up when asked (``with_lake``). Modules: :mod:`.layout` (where things are), :mod:`.manifest`
(checksums), :mod:`.databases` (online copies and dumps), :mod:`.create`, :mod:`.verify`,
:mod:`.restore`, :mod:`.retention`.
"""
