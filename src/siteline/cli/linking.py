"""(filled in by the linking work)"""

COMMANDS: list = []
