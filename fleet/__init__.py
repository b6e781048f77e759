"""The fleet: terminal ↔ central server. Nothing here is needed for a standalone terminal to work.

- ``outbox_sender`` copies the outbox rows (queued by ``core.outbox`` in the record's own transaction) to
  the central PostgreSQL; ``outbox_cli`` is ``launcher.py sync``.
- ``roster_sync`` publishes the central roster (branches, members, meetings, encrypted templates) and pulls
  it into terminals.
- ``push`` carries news and notices over MQTT (persistent sessions, Ed25519-signed); ``feed_sync`` polls
  RSS/Atom/JSON feeds.
- ``remote`` runs signed administrator commands arriving over the push connection; ``remote_cli`` is
  ``launcher.py remote``.

- ``signing`` signs and checks content items, push messages, roster rows and remote commands (Ed25519);
  only the key files (``core.signing_keys``) stay in core: the configuration checks them when it loads.
"""
