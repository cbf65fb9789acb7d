from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """A request made by htmx, which swaps in a fragment instead of loading a page."""
    return request.headers.get("HX-Request") == "true"
