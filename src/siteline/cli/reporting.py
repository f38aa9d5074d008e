"""(filled in by the reporting work)"""

COMMANDS: list = []
