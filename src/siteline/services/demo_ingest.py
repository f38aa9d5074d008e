"""The demo's ingested material: a follow-up article of our own writing, read through the
same ingest run a user's articles go through, with two embedded posts and a statement.

Like everything in the demo, it is invented: Vessarin, its hospitals, the accounts and the
people quoted do not exist.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from siteline.domain.values import FuzzyTime
from siteline.services.ingest import IngestReport
from siteline.services.ingest_articles import ingest_articles
from siteline.store.case_folder import Case

FOLLOW_UP_NAME = "vessarin-courier-2019-03-20.txt"
FOLLOW_UP_DATE = "2019-03-20"

# One paragraph a line, as articles are scraped; hence the long lines.

FOLLOW_UP = """\
Second hospital in Vessarin reports damage as aid groups count the strikes

Staff at Saint Ilyan Children's Hospital said on Monday that shells hit the hospital's east gate late on Sunday, four days after the strike on the Old Quarter, closing two of its wards. Medics at Vessarin General Hospital are still treating patients in tents in the car park.

The Health Attacks Monitor said it had recorded 4 attacks on health care in Vessarin in the last 3 months. Its field coordinator, Mara Selt, said: “Every one of these hospitals was on the deconfliction list.”

Karand's defence office repeated on Tuesday that “no military operations took place near any medical facility in Vessarin”.

Ilyan Hospital is moving the newborn unit to the basement tonight. Power cuts every hour. #Vessarin pic.twitter.com/Vs4Demo01x
— Ilyan Hospital Staff (@IlyanStaff) March 18, 2019

Still no water at the General. The tents are full. https://t.co/VsDemo0002
— Old Quarter Watch (@OldQuarterWatch) March 19, 2019

Other Must-Read Stories:
– Vessarin's ferry service resumes after the storm
– A new library opens in the harbour district
"""


def ingest_follow_up(case: Case) -> IngestReport:
    """Writes the follow-up article to a temporary file and ingests it as a user would."""
    with tempfile.TemporaryDirectory(prefix="siteline-demo-") as folder:
        path = Path(folder) / FOLLOW_UP_NAME
        path.write_text(FOLLOW_UP, encoding="utf-8")
        return ingest_articles(case, [path], FuzzyTime.parse(FOLLOW_UP_DATE, "date"))
