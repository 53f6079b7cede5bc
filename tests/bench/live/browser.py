"""A browser's HTTP side: its own cookie jar, forms posted with the page's CSRF token, the
Origin and Referer a browser sends, redirects followed.

urllib is blocking, so every request runs in a bounded thread pool; the websocket side stays
on the event loop. No third-party HTTP client is needed.
"""

import asyncio
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookiejar import CookieJar

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    status: int
    text: str

    def csrf_token(self) -> str:
        """The hidden form field, as a browser posts it."""
        match = CSRF_FIELD.search(self.text)
        if match is None:
            raise RuntimeError(f"no CSRF field on {self.url} (HTTP {self.status})")
        return match.group(1)


class Browser:
    """One person's browser against one server (base URL)."""

    def __init__(self, base_url: str, executor: ThreadPoolExecutor) -> None:
        self.base_url = base_url.rstrip("/")
        self.executor = executor
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [
            ("User-Agent", "sprechstunde-bench/1"),
            ("Accept-Language", "de"),
        ]

    def _fetch(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return Page(response.geturl(), response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.geturl() or request.full_url, error.code, error.read().decode())

    async def get(self, path: str) -> Page:
        request = urllib.request.Request(self.base_url + path)  # noqa: S310 - 127.0.0.1 only
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._fetch, request)

    async def post_form(self, path: str, fields: dict[str, str], *, referer: str) -> Page:
        """POST a form like a browser: urlencoded, with Origin and Referer of the page."""
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
            self.base_url + path,
            data=urllib.parse.urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.base_url,
                "Referer": referer,
            },
            method="POST",
        )
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._fetch, request)

    def cookie_header(self) -> str:
        """The Cookie header the browser sends with a websocket handshake to this host."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)
