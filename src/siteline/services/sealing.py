"""The contexts confidential bytes are sealed under: a blob by its hash, an item's sealed
fields by its id. Opening needs the same context, so every reader takes it from here."""


def blob_context(digest: str) -> str:
    return f"blob:{digest}"


def sealed_context(evidence_id: int) -> str:
    return f"evidence:{evidence_id}"
