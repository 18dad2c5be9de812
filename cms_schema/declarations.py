"""A small declaration language for the content model: one Python declaration per type,
from which the Studio schema, document validation and print-readiness all follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # a Sanity type: string, number, slug, image, reference, array, object…
    title: str = ""
    required: bool = False
    description: str = ""
    of: tuple[Field, ...] = ()  # array members
    to: tuple[str, ...] = ()  # reference targets
    fields: tuple[Field, ...] = ()  # object fields
    options: dict[str, Any] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    pattern: str | None = None  # regex the value must match
    pattern_name: str = ""
    integer: bool = False
    read_only: bool = False
    hidden: bool = False
    weak: bool = False

    @property
    def label(self) -> str:
        return self.title or self.name[:1].upper() + "".join(
            " " + c.lower() if c.isupper() else c for c in self.name[1:]
        )


@dataclass(frozen=True)
class DocumentType:
    name: str
    title: str
    fields: tuple[Field, ...]
    icon_hint: str = ""
    preview_title: str = "title"
    preview_subtitle: str | None = None
    preview_media: str | None = None
    read_only: bool = False
    singleton: bool = False
    print_readiness: bool = False
    #: A document-level Studio rule: (module in the Studio folder, exported function) that
    #: returns the problems (strings) stopping a publish.
    custom_rule: tuple[str, str] | None = None

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)
