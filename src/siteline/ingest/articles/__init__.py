"""Reading news articles: embedded posts, boilerplate, dates, places, statements, figures."""

from siteline.ingest.articles.extract import ArticleExtraction, extract_article
from siteline.ingest.articles.places import PlaceIndex

__all__ = ["ArticleExtraction", "PlaceIndex", "extract_article"]
