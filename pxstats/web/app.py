"""The web interface as ONE WSGI application (spec graphics_web.md §5): the request form, the
broker, the name chooser, the remembered product words, the combined image page, the request
graphics and the published static folders (`site.published`). Served by waitress
(`pxStatsWeb`) or, for an existing Apache, as a CGI script (`pxstats.web.cgi`): the route is
SCRIPT_NAME + PATH_INFO, so the original URLs `scripts/cgi-bin/<script>.py` work both ways.

Security (§5.6): every response carries a Content-Security-Policy (scripts and styles from
the site only, no inline code) and nosniff; writes (the broker draws a file, the word
database) are POST only and need an Origin (or Referer) of this very site; the broker
validates everything against whitelists; errors are logged here and the client gets a
generic text; static files are served only from the published folders, after resolving the
path inside its folder.

Why one module of ~480 lines: every route shares the same security frame (same-origin
check, rate limit, CSP, generic errors); keeping the routes together keeps it in one place.
"""

from __future__ import annotations

import collections
import json
import logging
import mimetypes
import os
import threading
import time
import urllib.parse
from pathlib import Path

from pxstats import i18n
from pxstats.actions import web_request
from pxstats.paths import StatsPaths
from pxstats.util import timeutil
from pxstats.web import pages, site
from pxstats.web.words import TEXT as PAGE_TEXT

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
MAX_BODY = 64 * 1024
CGI = site.CGI + "/"

REQUEST_TEXT = {
    "en": {
        "title": "Graphics request",
        "inputs": "Input fields",
        "file_type": "FileType",
        "file_type_placeholder": "Select a file type...",
        "machines": "Machine(s)",
        "machines_placeholder": "Select machine(s)...",
        "main_machines": "Main machine(s):",
        "other_machines": "Other machine(s):",
        "stats_types": "Stats type(s)",
        "stats_placeholder": "Select stats types.",
        "spans": "Determined spans",
        "span_placeholder": "Select a span...",
        "fixed": "Fixed spans",
        "fixed_texts": {
            "": ["Select fixed span...", "Current", "Previous"],
            "daily": ["Past 24 hours", "Current day.", "Previous day."],
            "weekly": ["Past 7 days.", "Current week.", "Previous week."],
            "monthly": ["Past 30 days.", "Current month.", "Previous month."],
            "yearly": ["Past 365 days.", "Current year.", "Previous year."],
        },
        "names": {"rx": "Source(s)", "tx": "Client(s)"},
        "add": {"rx": "Add sources", "tx": "Add clients"},
        "delete": {"rx": "Delete sources", "tx": "Delete clients"},
        "show_advanced": "Show advanced options...",
        "hide_advanced": "Hide advanced options...",
        "end_time": "End Time Date",
        "span": "Span(in hours)",
        "products": "Products",
        "combine": "Combine source(s)/client(s).",
        "generate": "Generate graphic(s)",
        "status": "Application status : ",
        "awaiting": "Awaiting request(s).",
        "working": "Processing request...",
        "help": "Get Help",
        "results": "Resulting graphic(s)",
        "previous": "Previous image result",
        "all": "View all images",
        "next": "Next image result",
        "showing": "Now showing image {i} of {n}.",
        "available": "Available",
        "selected": "Selected",
        "groups": "Groups:",
        "tx_clients": "TX clients :",
        "rx_sources": "RX sources :",
        "done": "Done",
        "check_filetype": "Error. Please select a file type.",
        "check_machines": "Error. Please select machine(s).",
        "check_types": "Error. Please select stats type(s).",
        "check_fixed": "Error. A fixed span needs a determined span.",
        "check_names": "Error. Please add a client/source to the list or specify a group name.",
        "check_span": "Error. The span must be a whole number between 1 and 50000.",
        "check_determined": "Error. Please select a determined span.",
        "server_error": "Error. The server did not answer.",
    },
    "fr": {
        "title": "Requête de graphiques",
        "inputs": "Champs d'entrée",
        "file_type": "Type de fichiers",
        "file_type_placeholder": "Choisissez un type de fichiers...",
        "machines": "Machine(s)",
        "machines_placeholder": "Choisissez des machines...",
        "main_machines": "Machine(s) principale(s) :",
        "other_machines": "Autre(s) machine(s) :",
        "stats_types": "Type(s) de statistiques",
        "stats_placeholder": "Choisissez des types.",
        "spans": "Durées prédéterminées",
        "span_placeholder": "Choisissez une durée...",
        "fixed": "Durées fixes",
        "fixed_texts": {
            "": ["Choisissez une durée fixe...", "Courante", "Précédente"],
            "daily": ["Dernières 24 heures", "Journée courante", "Journée précédente"],
            "weekly": ["7 derniers jours.", "Semaine courante.", "Semaine précédente."],
            "monthly": ["30 derniers jours.", "Mois courant.", "Mois précédent."],
            "yearly": ["365 derniers jours.", "Année courante.", "Année précédente."],
        },
        "names": {"rx": "Source(s)", "tx": "Client(s)"},
        "add": {"rx": "Ajouter des sources", "tx": "Ajouter des clients"},
        "delete": {"rx": "Retirer des sources", "tx": "Retirer des clients"},
        "show_advanced": "Afficher les options avancées...",
        "hide_advanced": "Cacher les options avancées...",
        "end_time": "Date de fin",
        "span": "Durée(en heures)",
        "products": "Produits",
        "combine": "Combiner les sources/clients.",
        "generate": "Générer le(s) graphique(s)",
        "status": "État de l'application : ",
        "awaiting": "En attente de requête(s).",
        "working": "Traitement de la requête...",
        "help": "Aide",
        "results": "Graphique(s) résultant(s)",
        "previous": "Image précédente",
        "all": "Voir toutes les images",
        "next": "Image suivante",
        "showing": "Image {i} de {n}.",
        "available": "Disponibles",
        "selected": "Choisis",
        "groups": "Groupes :",
        "tx_clients": "Clients TX :",
        "rx_sources": "Sources RX :",
        "done": "Terminé",
        "check_filetype": "Erreur. Veuillez choisir un type de fichiers.",
        "check_machines": "Erreur. Veuillez choisir des machines.",
        "check_types": "Erreur. Veuillez choisir des types de statistiques.",
        "check_fixed": "Erreur. Une durée fixe demande une durée prédéterminée.",
        "check_names": "Erreur. Veuillez ajouter un client/source à la liste ou "
        "spécifier un nom de groupe.",
        "check_span": "Erreur. La durée doit être un nombre entier entre 1 et 50000.",
        "check_determined": "Erreur. Veuillez choisir une durée prédéterminée.",
        "server_error": "Erreur. Le serveur n'a pas répondu.",
    },
}


class Response(Exception):
    """Raised to answer at once (status, body, content type)."""

    def __init__(
        self, status: str, body: str | bytes = b"", content_type: str = "text/plain", headers=()
    ):
        super().__init__(status)
        self.status, self.content_type, self.headers = status, content_type, list(headers)
        self.body = body.encode("utf-8") if isinstance(body, str) else body


def _reply(reply: web_request.Reply) -> Response:
    return Response("200 OK", reply.text() + "\n", "text/plain; charset=utf-8")


def _not_found() -> Response:
    return Response("404 Not Found", "Not found.\n")


class App:
    """The WSGI application. `paths`/`config` are read once; `broker` may be shared."""

    def __init__(
        self,
        paths: StatsPaths,
        config,
        broker: web_request.Broker | None = None,
        main_language: str | None = None,
        writes_per_minute: int = 120,
    ):
        self.paths, self.config = paths, config
        self.writes_per_minute = writes_per_minute
        self._writes: dict[str, collections.deque] = {}
        self._writes_lock = threading.Lock()
        self.broker = broker or web_request.Broker(paths, config)
        self.main = main_language or config.general.main_application_language or "en"
        self.folders = site.published(paths, i18n.LANGUAGES, self.main)
        self.folders["static"] = pages.STATIC  # always the installed package's files
        self.env = pages.environment()
        self.routes = {
            CGI + "graphicsRequestPage.py": self.form_page,
            CGI + "graphicsRequestBroker.py": self.broker_endpoint,
            CGI + "popupSourlientAdder.py": self.chooser,
            CGI + "updateWordsInDB.py": self.update_words,
            CGI + "generateImageWebPage.py": self.image_page,
        }

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        try:
            response = self.dispatch(environ)
        except Response as answer:
            response = answer
        except Exception:
            log.exception("internal error on %s", environ.get("PATH_INFO", ""))
            response = Response("500 Internal Server Error", "Internal error.\n")
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
        ] + response.headers
        if not response.content_type.startswith("image/"):
            # (an image shown alone gets the browser's own viewer page, which styles inline)
            headers.append(("Content-Security-Policy", CSP))
        if not any(h[0] == "Cache-Control" for h in response.headers):
            headers.append(("Cache-Control", "no-cache"))
        start_response(response.status, headers)
        return [response.body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]

    def dispatch(self, environ) -> Response:
        route = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).lstrip("/")
        try:
            route = route.encode("latin-1").decode("utf-8")
        except UnicodeError:
            raise _not_found() from None
        if route in ("", "index.html") and not (self.folders["index.html"]).is_file():
            route = "bottom.html" if self.folders["bottom.html"].is_file() else route
        if route == "":
            raise Response("302 Found", "", headers=[("Location", "/index.html")])
        handler = self.routes.get(route)
        if handler is not None:
            return handler(environ)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            raise Response(
                "405 Method Not Allowed", "Method not allowed.\n", headers=[("Allow", "GET, HEAD")]
            )
        return self.static(route)

    # -- parameters ---------------------------------------------------------------------------
    @staticmethod
    def query(environ) -> dict[str, str]:
        return _fields(environ.get("QUERY_STRING", ""))

    def form(self, environ) -> dict[str, str]:
        """The body of a POST from this very site (same-origin check), as a dictionary."""
        if environ.get("REQUEST_METHOD") != "POST":
            raise Response(
                "405 Method Not Allowed",
                web_request.Reply(error="Error. Requests must be sent by POST.").text() + "\n",
                headers=[("Allow", "POST")],
            )
        if not _same_origin(environ):
            log.warning(
                "refused a cross-site request from %r",
                environ.get("HTTP_ORIGIN") or environ.get("HTTP_REFERER"),
            )
            raise Response(
                "403 Forbidden",
                web_request.Reply(error="Error. Cross-site request refused.").text() + "\n",
            )
        if not self._allowed(environ.get("REMOTE_ADDR", "")):
            log.warning("too many requests from %s", environ.get("REMOTE_ADDR", ""))
            raise Response(
                "429 Too Many Requests",
                web_request.Reply(error="Error. Too many requests, please wait a minute.").text()
                + "\n",
                headers=[("Retry-After", "60")],
            )
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            raise Response("413 Payload Too Large", "Request too large.\n")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            return _fields(body.decode("ascii"))
        except UnicodeDecodeError:
            raise Response("400 Bad Request", "Bad request.\n") from None

    def _allowed(self, address: str) -> bool:
        """At most `writes_per_minute` POST requests per client address in any minute."""
        now = time.monotonic()
        with self._writes_lock:
            if len(self._writes) > 10000:  # forget idle addresses
                self._writes = {a: q for a, q in self._writes.items() if q and q[-1] > now - 60}
            recent = self._writes.setdefault(address, collections.deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= self.writes_per_minute:
                return False
            recent.append(now)
            return True

    def language(self, value: str | None) -> str:
        return value if value in i18n.LANGUAGES else self.main

    # -- endpoints ----------------------------------------------------------------------------
    def form_page(self, environ) -> Response:
        lang = self.language(self.query(environ).get("lang"))
        texts = REQUEST_TEXT[lang]
        data = {
            "lang": lang,
            "texts": texts,
            "choices": web_request.form_choices(self.config, lang),
            "words": web_request.words(self.paths, lang),
            "now": _form_time(timeutil.now()),
            "panel_pitch": 307.5,
        }
        html = self.env.get_template("request.html").render(
            lang=lang,
            words=PAGE_TEXT[lang],
            t=texts,
            data=data,
            static="../../static",
            descriptions={},
            help=f"../../html_{lang}/helpPages/requestHelp_{lang}.html",
        )
        return Response("200 OK", html, "text/html; charset=utf-8")

    def broker_endpoint(self, environ) -> Response:
        return _reply(self.broker.answer(self.form(environ)))

    def chooser(self, environ) -> Response:
        """Names (and groups) of a file type on a machine choice, as JSON; read only."""
        query = self.query(environ)
        file_type = query.get("fileType", "")
        main, other = web_request.machine_choices(self.config)
        machines = query.get("machines", "")
        if file_type not in ("rx", "tx") or machines not in main + other:
            body = {"groups": [], "names": []}
        else:
            listed = machines.split(",")
            body = {
                "groups": sorted(
                    g.name
                    for g in self.config.groups
                    if g.file_type in (file_type, "trx") and listed[0] in g.machines
                ),
                "names": self.broker.inventory.on_machines(file_type, listed),
            }
        return Response("200 OK", json.dumps(body), "application/json; charset=utf-8")

    def update_words(self, environ) -> Response:
        form = self.form(environ)
        return _reply(
            web_request.remember_word(
                self.paths,
                self.language(form.get("lang")),
                form.get("wordType", ""),
                form.get("word", ""),
            )
        )

    def image_page(self, environ) -> Response:
        """All the images of one request, one under the other (replaces the shared
        combinedImageWebPage.html of the original: nothing is written)."""
        query = self.query(environ)
        lang = self.language(query.get("lang"))
        names = [n.rsplit("/", 1)[-1] for n in query.get("images", "").replace(" ", "+").split("+")]
        images = [n for n in names if self.broker.cache.find(n) is not None][:50]
        html = self.env.get_template("combined.html").render(
            lang=lang,
            words=PAGE_TEXT[lang],
            static="../../static",
            descriptions={},
            images=[f"../../{site.REQUESTS_URL}/{n}" for n in images],
        )
        return Response("200 OK", html, "text/html; charset=utf-8")

    # -- static files ---------------------------------------------------------------------------
    def static(self, route: str) -> Response:
        if "\0" in route or "\\" in route:
            raise _not_found()
        parts = route.split("/")
        if any(p in ("..", ".") or p.startswith(".") for p in parts if p):
            raise _not_found()
        for prefix in sorted(self.folders, key=len, reverse=True):
            if route == prefix or route.startswith(prefix + "/"):
                base = Path(self.folders[prefix])
                rest = route[len(prefix) :].lstrip("/")
                target = (base / rest) if rest else base
                break
        else:
            raise _not_found()
        try:
            real_base = os.path.realpath(base)
            real = os.path.realpath(target)
        except (OSError, ValueError):
            raise _not_found() from None
        if real != real_base and not real.startswith(real_base.rstrip("/") + "/"):
            raise _not_found()
        if os.path.isdir(real):
            if not route.endswith("/") and route:
                raise Response(
                    "301 Moved Permanently",
                    "",
                    headers=[("Location", "/" + urllib.parse.quote(route) + "/")],
                )
            return self.listing(route, Path(real))
        if not os.path.isfile(real):
            raise _not_found()
        content_type = mimetypes.guess_type(real)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        with open(real, "rb") as handle:
            body = handle.read()
        return Response("200 OK", body, content_type, headers=[("Cache-Control", "no-cache")])

    def listing(self, route: str, folder: Path) -> Response:
        """A plain listing of an archive folder (the top page's Archives link)."""
        try:
            entries = sorted(
                e.name + ("/" if e.is_dir() else "")
                for e in folder.iterdir()
                if not e.name.startswith(".")
            )
        except OSError:
            raise _not_found() from None
        html = self.env.get_template("listing.html").render(
            lang=self.main,
            words=PAGE_TEXT[self.main],
            route="/" + route,
            entries=entries,
            static="/static",
            descriptions={},
        )
        return Response("200 OK", html, "text/html; charset=utf-8")


def _fields(text: str) -> dict[str, str]:
    """Query or form fields; a repeated key gives its values joined with ',' (as the
    original's CGI scripts did); '?' removed from keys."""
    fields: dict[str, list[str]] = {}
    try:
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, max_num_fields=100, errors="strict"
        )
    except (ValueError, UnicodeDecodeError):
        raise Response("400 Bad Request", "Bad request.\n") from None
    for key, value in pairs:
        fields.setdefault(key.replace("?", ""), []).append(value)
    return {key: ",".join(values) for key, values in fields.items()}


def _origin_of(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    return f"{parsed.scheme}://{parsed.netloc}" if parsed.scheme and parsed.netloc else ""


def _same_origin(environ) -> bool:
    host = environ.get("HTTP_HOST") or (
        environ.get("SERVER_NAME", "") + ":" + environ.get("SERVER_PORT", "")
    )
    ours = f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
    origin = environ.get("HTTP_ORIGIN") or _origin_of(environ.get("HTTP_REFERER", ""))
    return bool(origin) and origin == ours


def _form_time(epoch: int) -> str:
    iso = timeutil.iso(epoch)
    return f"{iso[8:10]}-{iso[5:7]}-{iso[0:4]} {iso[11:]}"


def make_app(paths: StatsPaths, config, **kwargs) -> App:
    return App(paths, config, **kwargs)
