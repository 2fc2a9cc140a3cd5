"""What every PDF of hatta (a hat, the handbook) is made with."""

from functools import cache


@cache
def _refusing_fetcher_class():
    from weasyprint.urls import URLFetcher  # heavy; only when a PDF is made

    class RefusingFetcher(URLFetcher):
        """Fetches nothing: no network, no files, no data: URLs. The PDF
        templates carry their own CSS and no images. WeasyPrint needs a
        URLFetcher (it reads the fetcher's attributes), not a plain function."""

        def fetch(self, url, headers=None):
            raise ValueError(f"hatta PDFs fetch nothing ({url[:80]})")

    return RefusingFetcher


def url_fetcher():
    """A WeasyPrint URL fetcher that refuses every URL."""
    return _refusing_fetcher_class()(allowed_protocols=())
