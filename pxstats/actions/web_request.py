"""The graphics request broker of the web interface (spec graphics_web.md §5.3-§5.6).

`Broker.answer(form)` validates every value of a request against whitelists — the
configuration (languages, machines and the offered machine combinations, groups) and the
names known from the pickles and RRD databases — then draws the graphic into the request
cache under a new random name and returns the reply of the original protocol
(`images=<urls>;error=<text>`). Nothing a requester sends reaches a path, a shell or
gnuplot unchecked; no remote machine is contacted; pickles are read only from their fixed
root. Spans up to 36 hours (or a "daily" request) are drawn with gnuplot, longer ones with
the RRD graphics (one PNG per client and type).

Also here: the inventory of known names (`Inventory`), the choices the form offers
(`form_choices`), the remembered product words (`remember_word`, `words`) and the cache
(`RequestCache`: random names, expiry, a bound on the number of files).

Why one module of ~600 lines: the whitelist validation of every field of the original
protocol, and the reply format, must be read together with the drawing they guard.
"""

from __future__ import annotations

import calendar
import fnmatch
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pxstats import i18n
from pxstats.actions import graphics as gnu
from pxstats.actions import rrd_graphics
from pxstats.gnuplot import render as gnuplot_render
from pxstats.paths import StatsPaths
from pxstats.rrd import schema, windows
from pxstats.util import atomic, timeutil
from pxstats.util.locks import named_lock
from pxstats.web import site

log = logging.getLogger(__name__)

GNUPLOT_MAX_SPAN = 36  # hours; longer spans go to the RRD graphics
RRD_MAX_SPAN = 10 * 8760  # the archive keeps ten years
MAX_PANELS = 40
MAX_NAMES = 40
MAX_PRODUCTS = 10
MAX_FIELD = 2000  # characters of any one form value
WORD = re.compile(r"[A-Za-z0-9._*?-]{1,64}")
PRODUCT = re.compile(r"[A-Za-z0-9._*?:+-]{1,64}")
NAME_PATTERN = re.compile(r"[A-Za-z0-9._*?-]{1,100}")
LANG_ECHO = re.compile(r"[A-Za-z_-]{1,16}")
CACHE_NAME = re.compile(r"[0-9a-f]{32}\.png")
MAX_WORDS = 1000
PERIOD_WORDS = {
    "en": {"daily": "daily", "weekly": "weekly", "monthly": "monthly", "yearly": "yearly"},
    "fr": {
        "daily": "journalier",
        "weekly": "hebdomadaire",
        "monthly": "mensuel",
        "yearly": "annuel",
    },
}
FIXED_WORDS = {
    "current": ("current", "courant", "courante"),
    "previous": ("previous", "précédent", "précédente", "precedent", "precedente"),
}
ALSO_ACCEPTED = {"nbreDeFichers": "filecount"}  # the French catalogue's typo (B-35)

ERRORS = {
    "en": {
        "filetype": "Error. File type must be rx or tx.",
        "machines": "Error. Unknown machine or machine combination.",
        "types": "Error. Invalid stats type(s) for this file type.",
        "names": "Error. Please add a client/source to the list or specify a group name.",
        "unknown_name": "Error. Unknown client/source name.",
        "group": "Error. Unknown group name for this file type.",
        "combine": "Error. Combine must be true or false.",
        "span": "Error. The span must be a whole number of hours between 1 and {max}.",
        "no_span": "Error. Please specify a span or a determined span.",
        "period": "Error. Unknown determined span.",
        "date": "Error. The end time must be a valid date (DD-MM-YYYY HH:MM:SS), not in "
        "the future.",
        "products": "Error. Invalid product pattern(s).",
        "panels": "Error. Too many graphics requested (at most {max} panels).",
        "busy": "Error. The server is busy, please try again later.",
        "failed": "Error. The graphic could not be produced.",
        "too_long": "Error. Request too long.",
    },
    "fr": {
        "filetype": "Erreur. Le type de fichiers doit être rx ou tx.",
        "machines": "Erreur. Machine ou combinaison de machines inconnue.",
        "types": "Erreur. Type(s) de statistiques invalide(s) pour ce type de fichiers.",
        "names": "Erreur. Veuillez ajouter un client/source à la liste ou spécifier un "
        "nom de groupe.",
        "unknown_name": "Erreur. Nom de client/source inconnu.",
        "group": "Erreur. Nom de groupe inconnu pour ce type de fichiers.",
        "combine": "Erreur. Combiner doit être true ou false.",
        "span": "Erreur. La durée doit être un nombre entier d'heures entre 1 et {max}.",
        "no_span": "Erreur. Veuillez spécifier une durée ou une durée prédéterminée.",
        "period": "Erreur. Durée prédéterminée inconnue.",
        "date": "Erreur. L'heure de fin doit être une date valide (JJ-MM-AAAA HH:MM:SS), "
        "pas dans le futur.",
        "products": "Erreur. Patron(s) de produits invalide(s).",
        "panels": "Erreur. Trop de graphiques demandés (au plus {max} panneaux).",
        "busy": "Erreur. Le serveur est occupé, veuillez réessayer plus tard.",
        "failed": "Erreur. Le graphique n'a pas pu être produit.",
        "too_long": "Erreur. Requête trop longue.",
    },
}
NO_LANGUAGE = "Error in query broker. Cannot proceed with query. No language was specified."
BAD_LANGUAGE = "Error in query broker. Cannot proceed with query. {} is not a supported language."


class Refused(Exception):
    """A request value is not acceptable; the message is for the requester."""


@dataclass(frozen=True)
class Reply:
    images: tuple[str, ...] = ()
    error: str = ""
    action: str = ""

    def text(self) -> str:
        """images=<a+b>;error=<text>[;action=<name>] — no ';' or newline inside a field."""

        def clean(value: str) -> str:
            return re.sub(r"[;\r\n\0]", " ", value)

        line = f"images={'+'.join(clean(i) for i in self.images)};error={clean(self.error)}"
        return line + (f";action={clean(self.action)}" if self.action else "")


# -- what is known -------------------------------------------------------------------------------


def machine_choices(config) -> tuple[list[str], list[str]]:
    """(main, other) machine choices of the form (§5.2): each source tag's machines joined
    with ','; every single machine and every run m_i..m_j (j > i) of a tag's machines."""
    main, other = set(), set()
    for tag in config.general.source_machines_tags:
        machines = config.machines.machines_of(tag)
        if machines:
            main.add(",".join(machines))
    for machines in config.machines.tags.values():
        for i, machine in enumerate(machines):
            other.add(machine)
            for j in range(i + 2, len(machines) + 1):
                other.add(",".join(machines[i:j]))
    return sorted(main), sorted(other - main)


class Inventory:
    """Names known per file type, with the machines they were seen on: from the RRD
    databases (<type>/<name>_<machines>) and the hourly pickles
    (<name>/<date>/<ft>/<machine>_<HH>, newest day). Re-read at most every `ttl` seconds."""

    def __init__(self, paths: StatsPaths, config, ttl: float = 60.0):
        self.paths, self.config, self.ttl = paths, config, ttl
        self._lock = threading.Lock()
        self._read_at = -1e9
        self._names: dict[str, dict[str, set[str]]] = {"tx": {}, "rx": {}}

    def names(self) -> dict[str, dict[str, set[str]]]:
        with self._lock:
            if time.monotonic() - self._read_at > self.ttl:
                self._names = self._read()
                self._read_at = time.monotonic()
            return self._names

    def _machine_sets(self) -> dict[str, str]:
        """Concatenated machine-set name -> the ','-joined machines, for every choice."""
        main, other = machine_choices(self.config)
        return {schema.machines_name(c.split(",")): c for c in main + other}

    def _read(self) -> dict[str, dict[str, set[str]]]:
        found: dict[str, dict[str, set[str]]] = {"tx": {}, "rx": {}}
        sets = self._machine_sets()
        for file_type, folder in (("tx", "latency"), ("rx", "bytecount")):
            try:
                entries = list((self.paths.current_databases / folder).iterdir())
            except OSError:
                entries = []
            for entry in entries:
                for concatenated, machines in sets.items():
                    suffix = "_" + concatenated
                    if entry.name.endswith(suffix) and len(entry.name) > len(suffix):
                        found[file_type].setdefault(entry.name[: -len(suffix)], set()).add(machines)
        try:
            clients = list(self.paths.pickles.iterdir())
        except OSError:
            clients = []
        for client in clients:
            try:
                days = sorted(d for d in client.iterdir() if d.name.isdigit())
            except OSError:
                continue
            if not days:
                continue
            for file_type in ("tx", "rx"):
                try:
                    hours = list((days[-1] / file_type).iterdir())
                except OSError:
                    continue
                machines = {h.name.rsplit("_", 1)[0] for h in hours if "_" in h.name}
                if machines:
                    found[file_type].setdefault(client.name, set()).update(machines)
        group_names = {g.name for g in self.config.groups}
        for names in found.values():
            for name in group_names | {"rx", "tx"}:
                names.pop(name, None)
        return found

    def on_machines(self, file_type: str, machines: list[str]) -> list[str]:
        """Names of the file type seen on the machine set or on one of its machines."""
        wanted = {",".join(machines)} | set(machines)
        return sorted(n for n, seen in self.names()[file_type].items() if seen & wanted)


def form_choices(config, language: str) -> dict:
    """What the request page offers (§5.2), in the page's language."""
    names = i18n.TYPE_NAMES[language]
    combos = {
        "rx": [
            "bytecount",
            "filecount",
            "errors",
            "bytecount,errors",
            "bytecount,filecount",
            "filecount,errors",
            "bytecount,filecount,errors",
        ],
        "tx": [
            "latency",
            "bytecount",
            "filecount",
            "errors",
            "bytecount,errors",
            "bytecount,filecount",
            "latency,bytecount",
            "filecount,errors",
            "latency,errors",
            "latency,filecount",
            "bytecount,filecount,errors",
            "latency,bytecount,filecount",
            "latency,bytecount,errors",
            "latency,bytecount,filecount,errors",
        ],
    }
    main, other = machine_choices(config)
    return {
        "main_machines": main,
        "other_machines": other,
        "stats_types": {
            ft: [",".join(names[t] for t in c.split(",")) for c in choices]
            for ft, choices in combos.items()
        },
        "periods": [PERIOD_WORDS[language][p] for p in windows.PERIODS],
    }


# -- parsing --------------------------------------------------------------------------------------


@dataclass
class Parsed:
    language: str
    file_type: str
    machines: list[str]
    types: list[str]
    names: list[str]
    group: str
    combine: bool
    products: list[str]
    end: int
    span: int
    period: str | None  # RRD: daily/weekly/monthly/yearly or None
    plotter: str  # "gnuplot" or "rrd"
    fixed: str = ""  # "", "current" or "previous"


def _fixed(text: str) -> str:
    lowered = text.lower()
    for kind, words in FIXED_WORDS.items():
        if any(w in lowered for w in words):
            return kind
    return ""


def _end_time(text: str, fixed: str, now: int, errors: dict) -> int:
    """DD-MM-YYYY HH:MM:SS (quotes removed); absent: the server's time (never the browser's)."""
    text = text.replace('"', "").replace("'", "").strip()
    if not text:
        end = now
    else:
        match = re.fullmatch(r"(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})", text)
        if not match:
            raise Refused(errors["date"])
        day, month, year, hour, minute, second = map(int, match.groups())
        try:
            end = calendar.timegm(
                time.struct_time((year, month, day, hour, minute, second, 0, 0, 0))
            )
            if (
                not (
                    1 <= month <= 12
                    and 1 <= day <= 31
                    and hour < 24
                    and minute < 60
                    and second < 60
                )
                or time.gmtime(end).tm_mday != day
            ):
                raise ValueError
        except (ValueError, OverflowError):
            raise Refused(errors["date"]) from None
        if end > now + timeutil.DAY or year < 1990:
            raise Refused(errors["date"])
    if fixed == "current":
        return timeutil.day_start(end) + timeutil.DAY
    if fixed == "previous":
        return timeutil.day_start(end)
    return end


def _types(text: str, file_type: str, language: str, errors: dict) -> list[str]:
    accepted = {}
    for lang in i18n.LANGUAGES:
        accepted.update({word: key for key, word in i18n.TYPE_NAMES[lang].items()})
    accepted.update(ALSO_ACCEPTED)
    result = []
    for word in text.split(","):
        word = word.strip()
        key = accepted.get(word)
        if key is None or key not in gnu.TYPES[file_type] or key in result:
            raise Refused(errors["types"])
        result.append(key)
    if not result:
        raise Refused(errors["types"])
    return result


def parse(form: dict[str, str], config, inventory: Inventory, now: int) -> Parsed:
    """Validate a request (every check of §5.3 plus the whitelists of §5.6.3); Refused."""
    lang = form.get("lang", "").strip()
    if not lang:
        raise Refused(NO_LANGUAGE)
    if lang not in i18n.LANGUAGES:
        raise Refused(BAD_LANGUAGE.format(lang if LANG_ECHO.fullmatch(lang) else "The language"))
    errors = ERRORS[lang]
    if any(len(v) > MAX_FIELD for v in form.values()):
        raise Refused(errors["too_long"])
    file_type = form.get("fileType", "").replace('"', "").strip()
    if file_type not in ("rx", "tx"):
        raise Refused(errors["filetype"])
    machines_text = form.get("machines", "").replace(" ", "")
    main, other = machine_choices(config)
    if machines_text not in main + other:
        raise Refused(errors["machines"])
    machines = machines_text.split(",")
    types = _types(form.get("statsTypes", ""), file_type, lang, errors)

    combine_text = form.get("combineSourlients", "").replace('"', "").replace(",", "").strip()
    if combine_text not in ("", "true", "True", "false", "False"):
        raise Refused(errors["combine"])
    combine = combine_text in ("true", "True")

    products = [p.strip() for p in form.get("products", "").split(",") if p.strip()]
    if len(products) > MAX_PRODUCTS or not all(PRODUCT.fullmatch(p) for p in products):
        raise Refused(errors["products"])
    products = products or ["*"]

    # names: known names, patterns expanded against known names, or a group
    known = inventory.names()[file_type]
    group_name = form.get("groupName", "").replace('"', "").strip()
    group = None
    if group_name:
        group = next(
            (
                g
                for g in config.groups
                if g.name == group_name and g.file_type in (file_type, "trx")
            ),
            None,
        )
        if group is None:
            raise Refused(errors["group"])
    raw = [
        n.strip()
        for n in form.get("sourLients", form.get("sourlients", "")).split(",")
        if n.strip()
    ]
    if not raw and group is not None:
        raw = list(group.members)
    if not raw:
        raise Refused(errors["names"])
    if len(raw) > MAX_NAMES:
        raise Refused(errors["panels"].format(max=MAX_PANELS))
    names: list[str] = []
    for item in raw:
        if not NAME_PATTERN.fullmatch(item):
            raise Refused(errors["unknown_name"])
        if "*" in item or "?" in item:
            matches = sorted(n for n in known if fnmatch.fnmatchcase(n, item))
        else:
            matches = [item] if item in known else []
        if not matches:
            raise Refused(errors["unknown_name"])
        names += [m for m in matches if m not in names]
    if group is not None:
        combine = True

    # span and plotter (§5.3 step 2)
    period_text = form.get("preDeterminedSpan", "").strip()
    period = next((p for p, word in PERIOD_WORDS[lang].items() if word == period_text), None)
    if period is None:
        period = next((p for p, word in PERIOD_WORDS["en"].items() if word == period_text), None)
    if period is None and period_text and not period_text.lower().startswith(("select", "choisi")):
        raise Refused(errors["period"])
    fixed = _fixed(form.get("fixedSpan", ""))
    span_text = form.get("span", "").replace('"', "").strip()
    span = None
    if span_text:
        if not span_text.isdigit() or len(span_text) > 6:
            raise Refused(errors["span"].format(max=RRD_MAX_SPAN))
        span = int(span_text)
    if period == "daily":
        plotter = "gnuplot"
        if span is not None and not 1 <= span <= GNUPLOT_MAX_SPAN:
            raise Refused(errors["span"].format(max=GNUPLOT_MAX_SPAN))
        span = span or 24
    elif span is not None:
        if not 1 <= span <= RRD_MAX_SPAN:
            raise Refused(errors["span"].format(max=RRD_MAX_SPAN))
        plotter = "gnuplot" if span <= GNUPLOT_MAX_SPAN else "rrd"
        period = None if plotter == "gnuplot" or period is None else period
    elif period is not None:
        plotter = "rrd"
        span = windows.PERIOD_HOURS[period]
    else:
        raise Refused(errors["no_span"])
    end = _end_time(form.get("endTime", ""), fixed if plotter == "gnuplot" else "", now, errors)

    series = 1 if combine else len(names)
    panels = series * len(types)
    if panels > MAX_PANELS:
        raise Refused(errors["panels"].format(max=MAX_PANELS))
    return Parsed(
        lang,
        file_type,
        machines,
        types,
        names,
        group.name if group else "",
        combine,
        products,
        end,
        span,
        period,
        plotter,
        fixed,
    )


# -- the cache ------------------------------------------------------------------------------------


class RequestCache:
    """Request graphics under random names; files older than `max_age` seconds are removed,
    and at most `max_files` are kept (oldest first)."""

    def __init__(self, folder: Path, max_age: float = 3600, max_files: int = 500):
        self.folder, self.max_age, self.max_files = Path(folder), max_age, max_files
        self._lock = threading.Lock()
        self._swept = 0.0

    def new_path(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"{secrets.token_hex(16)}.png"

    def find(self, name: str) -> Path | None:
        if not CACHE_NAME.fullmatch(name):
            return None
        path = self.folder / name
        return path if path.is_file() else None

    def sweep(self, force: bool = False) -> None:
        with self._lock:
            if not force and time.monotonic() - self._swept < 30:
                return
            self._swept = time.monotonic()
        try:
            files = [
                (p.stat().st_mtime, p)
                for p in self.folder.iterdir()
                if CACHE_NAME.fullmatch(p.name)
            ]
        except OSError:
            return
        files.sort()
        limit = time.time() - self.max_age
        for index, (mtime, path) in enumerate(files):
            if mtime < limit or index < len(files) - self.max_files:
                path.unlink(missing_ok=True)


def gnuplot_request(parsed: Parsed) -> gnu.GraphicRequest:
    """The generateGraphics request of a gnuplot reply: names and types reversed, so that the
    first requested name and type are drawn last, at the top (§5.3 step 5); no copies."""
    return gnu.GraphicRequest(
        clients=tuple(reversed(parsed.names)),
        machines=tuple(parsed.machines),
        end=parsed.end,
        span=parsed.span,
        file_type=parsed.file_type,
        types=tuple(reversed(parsed.types)),
        products=tuple(parsed.products),
        group=parsed.group,
        combine=parsed.combine,
        language=parsed.language,
    )


# -- the broker -----------------------------------------------------------------------------------


@dataclass
class Broker:
    paths: StatsPaths
    config: object
    max_concurrent: int = 4
    wait: float = 60.0
    inventory: Inventory = None
    cache: RequestCache = None
    url_prefix: str = "../../" + site.REQUESTS_URL + "/"
    _slots: threading.BoundedSemaphore = field(default=None, repr=False)

    def __post_init__(self):
        self.inventory = self.inventory or Inventory(self.paths, self.config)
        self.cache = self.cache or RequestCache(site.request_cache(self.paths))
        self._slots = threading.BoundedSemaphore(self.max_concurrent)

    def answer(self, form: dict[str, str], now: int | None = None) -> Reply:
        now = timeutil.now() if now is None else now
        try:
            parsed = parse(form, self.config, self.inventory, now)
        except Refused as exc:
            return Reply(error=str(exc))
        errors = ERRORS[parsed.language]
        if not self._slots.acquire(timeout=self.wait):
            return Reply(error=errors["busy"])
        try:
            self.cache.sweep()
            made = self._draw(parsed, now)
        except Exception:  # details to the log, a generic text to the requester
            log.exception("request failed: %r", parsed)
            return Reply(error=errors["failed"])
        finally:
            self._slots.release()
        return Reply(images=tuple(self.url_prefix + p.name for p in made))

    def _draw(self, parsed: Parsed, now: int) -> list[Path]:
        if parsed.plotter == "gnuplot":
            plan = gnu.plan(self.paths, gnuplot_request(parsed))
            target = self.cache.new_path()
            gnuplot_render.render(plan.program, target, size=plan.picture.size)
            log.info("request graphic %s: %s", target.name, plan.png.name)
            return [target]
        return self._draw_rrd(parsed, now)

    def _draw_rrd(self, parsed: Parsed, now: int) -> list[Path]:
        start, end, span = windows.graph_window(parsed.end, parsed.period, parsed.span)
        request = rrd_graphics.GraphRequest(
            file_type=parsed.file_type,
            data_types=tuple(parsed.types),
            clients=tuple(parsed.names),
            machines=(schema.machines_name(parsed.machines),),
            start=start,
            end=end,
            span=span,
            period=parsed.period,
            language=parsed.language,
        )
        made = []
        for outcome in rrd_graphics.produce(self.paths, request, now=now, workers=1):
            if not outcome.ok:
                raise RuntimeError(f"rrd graphic failed: {outcome.message}")
            target = self.cache.new_path()
            atomic.write_bytes(target, Path(outcome.png).read_bytes())
            made.append(target)
        return made


# -- remembered words -----------------------------------------------------------------------------


def words(paths: StatsPaths, language: str, word_type: str = "products") -> list[str]:
    """Remembered words, each checked again when read."""
    try:
        text = site.words_file(paths, language, word_type).read_text(encoding="utf-8")
    except OSError:
        return []
    return [w for w in text.split("\n") if WORD.fullmatch(w)][:MAX_WORDS]


def remember_word(paths: StatsPaths, language: str, word_type: str, word: str) -> Reply:
    """updateWordsInDB: append a validated word once (written atomically, under a lock)."""
    if language not in i18n.LANGUAGES:
        return Reply(error=NO_LANGUAGE)
    errors = ERRORS[language]
    word = word.replace(" ", "")
    if word_type not in ("products", "groupName") or not WORD.fullmatch(word):
        return Reply(error=errors["products"])
    name = "products" if word_type == "products" else "groupNames"
    with named_lock(paths, "wordDatabases"):
        known = words(paths, language, name)
        if word not in known and len(known) < MAX_WORDS:
            atomic.write_text(
                site.words_file(paths, language, name), "".join(w + "\n" for w in known + [word])
            )
    return Reply()
