"""The report: a header and one section per check, as text (spec ops.md §5.4), HTML and JSON.

A section is a heading (the "problems" or the "clean" one), a separator of 130 dashes,
detail lines (each ending with a newline: the original glued some together), and the advice
paragraph when there are problems. The crontab section puts its separator last, as the
original did. The status follows Nagios: 0 OK, 1 warnings, 2 errors.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

from pxstats.monitor.texts import DASHES, words

OK, WARNING, ERROR, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = {OK: "ok", WARNING: "warning", ERROR: "error", UNKNOWN: "unknown"}
# Sections whose problems are errors (and name the subject); all others are warnings.
ERROR_SECTIONS = ("disk", "gaps", "reach")


@dataclass
class Section:
    check: str  # key of texts.TEXT: disk, pickles, gaps, ...
    lines: list[str] = field(default_factory=list)
    problems: bool | None = None  # None: problems when there are lines
    values: dict = field(default_factory=dict)  # formats the headings ({hours}, {machine})
    error: bool = False  # an error whatever the check (lastrun: pxStatsStartup stopped)

    @property
    def has_problems(self) -> bool:
        return bool(self.lines) if self.problems is None else self.problems

    @property
    def status(self) -> int:
        if not self.has_problems:
            return OK
        return ERROR if self.check in ERROR_SECTIONS or self.error else WARNING

    @property
    def alarming(self) -> bool:
        """Problem heading and advice? The crontab's only when it was modified (its other
        warnings go under the "not modified" heading)."""
        if self.check == "crontab":
            return self.values.get("modified", self.has_problems)
        return self.has_problems

    def heading(self, language: str) -> str:
        problem, clean, _ = words(language)[self.check]
        return (problem if self.alarming else clean).format(**self.values)

    def advice(self, language: str, **values) -> str:
        return words(language)[self.check][2].format(**values, **self.values)

    def text(self, language: str, **values) -> str:
        out = [self.heading(language)]
        if self.check != "crontab":
            out.append(DASHES)
        out += self.lines
        if self.alarming:
            out.append(self.advice(language, **values))
        if self.check == "crontab":
            out.append(DASHES)
        return "\n".join(out) + "\n\n"


@dataclass
class Report:
    language: str
    end: str  # ISO times
    start: str
    host: str
    config_file: str
    help_folder: str
    px_etc: str = ""
    sections: list[Section] = field(default_factory=list)

    @property
    def status(self) -> int:
        return max((s.status for s in self.sections), default=OK)

    def summary(self) -> str:
        """The subject's summary: errors named (disk, gaps, unreachable machines,
        pxStatsStartup stopped), else "warnings", else "no warnings"."""
        names = words(self.language)["summary"]
        errors = [names[s.check] for s in self.sections if s.status == ERROR]
        if errors:
            return ",".join(errors)
        return names["warnings"] if self.status else names["none"]

    def subject(self) -> str:
        return words(self.language)["subject"].format(host=self.host, summary=self.summary())

    def text(self) -> str:
        w = words(self.language)
        head = [
            "",
            "",
            w["title"],
            DASHES,
            w["time_of_test"].format(self.end),
            w["previous_test"].format(self.start),
            w["machine"].format(self.host),
            w["config_file"].format(self.config_file),
            w["help_file"].format(self.help_folder),
        ]
        body = "".join(
            s.text(self.language, conf=self.config_file, pxetc=self.px_etc) for s in self.sections
        )
        return "\n".join(head) + "\n\n" + body

    def html(self) -> str:
        """<html> + the report, newlines as <br> + </html> (escaped, unlike the original)."""
        return "<html>" + html.escape(self.text(), quote=False).replace("\n", "<br>") + "</html>"

    def as_dict(self) -> dict:
        return {
            "time_of_test": self.end,
            "time_of_previous_test": self.start,
            "machine": self.host,
            "config_file": self.config_file,
            "status": self.status,
            "status_name": STATUS_NAMES[self.status],
            "subject": self.subject(),
            "sections": [
                {
                    "check": s.check,
                    "status": STATUS_NAMES[s.status],
                    "heading": s.heading(self.language),
                    "lines": list(s.lines),
                }
                for s in self.sections
            ],
        }

    def json(self, **extra) -> str:
        return json.dumps({**self.as_dict(), **extra}, indent=2, ensure_ascii=False) + "\n"
