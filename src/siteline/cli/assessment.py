"""(filled in by the assessment work)"""

COMMANDS: list = []
