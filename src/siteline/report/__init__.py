"""Reports and exchange formats written from a case: the HTML (and PDF) report, ClaimReview."""
