"""The one PDF renderer: a print template under templates/reports/ → PDF bytes, with WeasyPrint.

Every resource a PDF needs comes from disk: our stylesheet and font under static/ and stored
photos under UPLOAD_FOLDER/photos. The fetcher refuses anything else (http, ftp, other files),
so a template or a user-supplied string can never make the server fetch the network.
The Chinese font is shipped in static/fonts/ and loaded by @font-face in css/print.css, so
output is the same on a machine with no CJK font installed.
"""
from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app
from weasyprint import HTML, URLFetcher
from weasyprint.urls import URLFetcherResponse

from safetylist.photos.services import photo_folder


class LocalFilesFetcher(URLFetcher):
    """Serves data: URIs and file: URLs inside `roots`; refuses everything else."""

    def __init__(self, roots):
        super().__init__(allowed_protocols=("file", "data"))
        self.roots = tuple(Path(root).resolve() for root in roots)

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise ValueError(f"PDFs use local files only; refused {url[:200]}")
        path = Path(url2pathname(urlsplit(url).path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise ValueError(f"not a file PDFs may use: {path}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})




def html_to_pdf(html: str) -> bytes:
    """PDF bytes of an HTML page whose relative URLs (css/print.css, …) resolve under static/."""
    static = Path(current_app.static_folder).resolve()
    fetcher = LocalFilesFetcher((static, photo_folder()))
    return HTML(string=html, base_url=static.as_uri() + "/", url_fetcher=fetcher).write_pdf()


def render_pdf(template_name: str, **context) -> bytes:
    """PDF of a print template, given only `context`: no request or web helpers are needed, so
    Celery tasks and CLI commands can render PDFs too."""
    return html_to_pdf(current_app.jinja_env.get_template(template_name).render(context))
