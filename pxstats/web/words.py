"""Every visible text of the web pages and of the request page, in English and French
(spec graphics_web.md §4.3-§4.5, §5.2, §6). Visible texts follow the DISPLAY language; the
path components of links follow the FILES language (they come from the producers' naming
functions, see `pxstats.web.producers`)."""

from __future__ import annotations

from pxstats.i18n import LANGUAGES, PERIODS  # noqa: F401 - the web pages' vocabulary

WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("Lun", "Mar", "Mer", "Jeu", "Ven", "Sam", "Dim"),
}
MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "Janvier",
        "Février",
        "Mars",
        "Avril",
        "Mai",
        "Juin",
        "Juillet",
        "Août",
        "Septembre",
        "Octobre",
        "Novembre",
        "Décembre",
    ),
}
# Folder names of the links (files language; csvFiles is the published name of the CSV root).
CSV_LINK = {"en": "csvFiles", "fr": "fichiersCsv"}
ARCHIVES_LINK = "archives"

# Data types: canonical key -> (column caption, help page)
TYPE_COLUMNS = {
    "en": {
        "latency": "Latency",
        "filesOverMaxLatency": "Files Over Max. Lat.",
        "bytecount": "Bytecount",
        "filecount": "Filecount",
        "errors": "Errors",
    },
    "fr": {
        "latency": "Latence",
        "filesOverMaxLatency": "Fichiers avec latence inacceptable",
        "bytecount": "Nombre de bytes",
        "filecount": "Nombre de fichiers",
        "errors": "Erreurs",
    },
}
HELP_PAGES = {
    "latency": "latency",
    "filesOverMaxLatency": "filesOverMaxLatency",
    "bytecount": "byteCount",
    "filecount": "fileCount",
    "errors": "errors",
    "rx": "source",
    "tx": "client",
}
PAGE_TYPES = {
    "rx": ("bytecount", "filecount", "errors"),
    "tx": ("latency", "filesOverMaxLatency", "bytecount", "filecount", "errors"),
}

TEXT = {
    "en": {
        "title": "PX Graphics",
        "heading": {
            "daily": "Daily graphics for {kind} from MetPx.",
            "weekly": "Weekly graphics for {kind} from MetPx.",
            "monthly": "Monthly graphics for {kind} from MetPx.",
            "yearly": "Yearly graphics for {kind} from MetPx.",
        },
        "kinds": {"rx": "RX sources", "tx": "TX clients"},
        "updated": {
            "hourly": "*updated hourly",
            "daily": "*updated daily",
            "weekly": "*updated weekly",
            "monthly": "*updated monthly",
            "yearly": "*updated yearly",
        },
        "names": {"rx": "Sources", "tx": "Clients"},
        "daily_column": "List of available daily graphics.",
        "units": {"daily": "Days", "weekly": "Weeks", "monthly": "Months", "yearly": "Years"},
        "csv": "CSV files :",
        "describe": "Description of {name}",
        "definition": "Definition of '{term}'",
        "close": "Close",
        "none": "none",
        "desc_client": "Client Name",
        "desc_source": "Source Name",
        "desc_group": "Group Name",
        "desc_machines": "Machine(s)",
        "desc_members": "Member(s)",
        "desc_filetype": "FileType",
        "desc_products": "Product(s) pattern(s)",
        "totals_rx": "RX totals for {tag}",
        "totals_tx": "TX totals for {tag}",
        "type": "Type",
        "totals_rows": {
            "daily": "Daily (upd. hourly)",
            "weekly": "Weekly (upd. hourly)",
            "monthly": "Monthly (upd. weekly)",
            "yearly": "Yearly (upd. monthly)",
        },
        "language": "Language",
        "individual": "Individual graphics : ",
        "top_periods": {
            "daily": "Daily",
            "weekly": "Weekly",
            "monthly": "Monthly",
            "yearly": "Yearly",
        },
        "clusters": "Clusters : ",
        "archives": "Archives",
        "requests": "Requests",
        "glossary": "Glossary",
        "documentation": "Documentation",
        "version": "English version.",
        "doc_heading": "List of available documentation files:",
        "welcome": "Statistics of MetPX Sundew: choose a page above.",
    },
    "fr": {
        "title": "Graphiques PX",
        "heading": {
            "daily": "Graphiques journaliers pour {kind} de MetPx.",
            "weekly": "Graphiques hebdomadaires pour {kind} de MetPx.",
            "monthly": "Graphiques mensuels pour {kind} de MetPx.",
            "yearly": "Graphiques annuels pour {kind} de MetPx.",
        },
        "kinds": {"rx": "toutes les sources(RX)", "tx": "tous les clients(TX)"},
        "updated": {
            "hourly": "*mis à jour à chaque heure",
            "daily": "*mis à jour chaque jour",
            "weekly": "*mis à jour chaque semaine",
            "monthly": "*mis à jour chaque mois",
            "yearly": "*mis à jour chaque année",
        },
        "names": {"rx": "Sources", "tx": "Clients"},
        "daily_column": "Liste des graphiques journaliers disponibles.",
        "units": {"daily": "Journees", "weekly": "Semaines", "monthly": "Mois", "yearly": "Années"},
        "csv": "Fichiers CSV :",
        "describe": "Description de {name}",
        "definition": "Définition de '{term}'",
        "close": "Fermer",
        "none": "aucun",
        "desc_client": "Nom du client",
        "desc_source": "Nom de la source",
        "desc_group": "Nom du groupe",
        "desc_machines": "Machine(s)",
        "desc_members": "Membre(s)",
        "desc_filetype": "Type de fichiers",
        "desc_products": "Patron(s) de produits",
        "totals_rx": "Totaux des réceptions(RX) pour {tag}",
        "totals_tx": "Totaux des transmissions(TX) pour {tag}",
        "type": "Type",
        "totals_rows": {
            "daily": "Journaliers (m. à j. horaire)",
            "weekly": "Hebdomadaires (m. à j. horaire)",
            "monthly": "Mensuels (m. à j. hebdomadaire)",
            "yearly": "Annuels (m. à j. mensuelle)",
        },
        "language": "Langue",
        "individual": "Individuels : ",
        "top_periods": {
            "daily": "Journaliers",
            "weekly": "Hebdomadaires",
            "monthly": "Mensuels",
            "yearly": "Annuels",
        },
        "clusters": "Grappes : ",
        "archives": "Archives",
        "requests": "Requêtes",
        "glossary": "Glossaire",
        "documentation": "Documentation",
        "version": "Version française.",
        "doc_heading": "Liste des fichiers de documentation disponibles :",
        "welcome": "Statistiques de MetPX Sundew : choisissez une page ci-dessus.",
    },
}

PAGE_UPDATES = {"daily": "hourly", "weekly": "hourly", "monthly": "weekly", "yearly": "monthly"}

# Help pages (static texts, one per term and language).
HELP = {
    "en": {
        "source": ("Source", ("A source (rx) is a channel through which MetPX receives files.")),
        "client": ("Client", ("A client (tx) is a destination to which MetPX transmits files.")),
        "latency": (
            "Latency",
            (
                "The delay between the reception of a file by MetPX and its "
                "transmission to a client. Graphics show per-minute averages; 15 seconds "
                "is the accepted latency threshold."
            ),
        ),
        "filesOverMaxLatency": (
            "Files Over Max. Lat.",
            ("The number of files per minute whose latency was above the threshold (15 seconds)."),
        ),
        "byteCount": ("Bytecount", ("The number of bytes received or transmitted per minute.")),
        "fileCount": ("Filecount", ("The number of files received or transmitted per minute.")),
        "errors": ("Errors", ("The number of errors logged per minute.")),
        "glossary": (
            "Glossary",
            (
                "Source: receives files. Client: files are sent to it. "
                "Latency: delay between reception and transmission of a file. "
                "Bytecount, filecount, errors: totals per minute."
            ),
        ),
        "requestHelp": (
            "Requests",
            (
                "Choose a file type, the machines, the statistics types "
                "and clients or sources, then press Generate graphic(s). Spans up to "
                "36 hours give one per-minute graphic; longer spans give one RRD "
                "graphic per client and type."
            ),
        ),
    },
    "fr": {
        "source": (
            "Source",
            ("Une source (rx) est un canal par lequel MetPX reçoit des fichiers."),
        ),
        "client": (
            "Client",
            ("Un client (tx) est une destination à laquelle MetPX transmet des fichiers."),
        ),
        "latency": (
            "Latence",
            (
                "Le délai entre la réception d'un fichier par MetPX et sa "
                "transmission à un client. Les graphiques montrent des moyennes par "
                "minute ; 15 secondes est le seuil de latence accepté."
            ),
        ),
        "filesOverMaxLatency": (
            "Fichiers avec latence inacceptable",
            ("Le nombre de fichiers par minute dont la latence a dépassé le seuil (15 secondes)."),
        ),
        "byteCount": ("Nombre de bytes", ("Le nombre de bytes reçus ou transmis par minute.")),
        "fileCount": (
            "Nombre de fichiers",
            ("Le nombre de fichiers reçus ou transmis par minute."),
        ),
        "errors": ("Erreurs", ("Le nombre d'erreurs par minute.")),
        "glossary": (
            "Glossaire",
            (
                "Source : reçoit des fichiers. Client : on lui transmet des "
                "fichiers. Latence : délai entre la réception et la transmission d'un "
                "fichier. Bytes, fichiers, erreurs : totaux par minute."
            ),
        ),
        "requestHelp": (
            "Requêtes",
            (
                "Choisissez un type de fichiers, les machines, les types "
                "de statistiques et les clients ou sources, puis appuyez sur Générer. "
                "Jusqu'à 36 heures : un graphique par minute ; au-delà, un graphique "
                "RRD par client et par type."
            ),
        ),
    },
}
