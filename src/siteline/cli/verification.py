"""(filled in by the verification work)"""

COMMANDS: list = []
