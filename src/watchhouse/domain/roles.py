"""User roles, as the slugs used on the command line, in the API and in audit entries."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CALL_HANDLER = "call-handler"
    RESPONSE_OFFICER = "response-officer"
    NEIGHBOURHOOD_OFFICER = "neighbourhood-officer"
    INVESTIGATOR = "investigator"
    INTELLIGENCE_ANALYST = "intelligence-analyst"
    SUPERVISOR = "supervisor"
    PARTNER = "partner"
    AUDITOR = "auditor"
    ADMIN = "admin"
    SOURCE_SYSTEM = "source-system"  # a force or partner system sending its records as they are made

    @classmethod
    def parse(cls, text: str | Role) -> Role:
        try:
            return cls(str(text).strip().lower().replace("_", "-").replace(" ", "-"))
        except ValueError:
            raise ValueError(f"unknown role {text!r} (known: {', '.join(r.value for r in cls)})") from None

    @property
    def caveat(self) -> str:
        """The need-to-know group every holder of this role belongs to, e.g. 'role:investigator'."""
        return f"role:{self.value}"
