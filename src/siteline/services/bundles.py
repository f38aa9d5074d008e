"""Case bundles: a whole case as a BagIt package, and a bundle restored as a new case.

`export_bundle(case, destination, confidential="omit", public=False)` writes one;
`import_bundle(bundle, folder, key_file=None, actor=None)` restores one, after checking
its checksums, its audit chain and every record against the chain. The format and its
options are described for users in docs/bundles.md.
"""

from siteline.services.bundle_export import CONFIDENTIAL_CHOICES, FORMAT, export_bundle
from siteline.services.bundle_import import import_bundle

__all__ = ["CONFIDENTIAL_CHOICES", "FORMAT", "export_bundle", "import_bundle"]
