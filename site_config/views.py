from django.http import HttpResponse
from django.views.decorators.http import require_GET

ROBOTS_TXT = "User-agent: *\nDisallow: /accounts/\nDisallow: /checkout/\nDisallow: /dashboard/\n"


@require_GET
def robots_txt(request):
    """Keeps crawlers out of private pages; also the cheapest full-stack view `make load` times."""
    return HttpResponse(ROBOTS_TXT, content_type="text/plain")
