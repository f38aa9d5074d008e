"""Where a case is kept: database tables, migrations, the blob store and the audit chain."""
