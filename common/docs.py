"""The API docs page (Swagger UI) under the site's Content-Security-Policy.

Swagger UI's files are served from our own static files (drf-spectacular-sidecar), so the page
works offline and needs no CDN. The split view serves the init script as a file, so no inline
script is needed; the page template keeps a small <style> block, so this one view allows inline
styles rather than the whole site.
"""

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularSwaggerSplitView

api_docs = csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))
