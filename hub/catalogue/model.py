"""The catalogue file: what an office publishes, checked before anything is stored.

The service items and their guides (办事指南) are reference data that the office maintains, not
code: they live in a JSON file (``catalogue.json`` beside this module is the first batch of 59
items) and reach the database through ``qiaolink catalogue publish FILE``. Every field is typed
here, so a wrong file is refused as a whole with the field named and nothing is published; a
valid file publishes a new version of exactly the items whose guide changed.

Pure: parsing text and building guides, no I/O.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.datafiles import DataFileInvalid, parse_data_file

__all__ = [
    "CatalogueFile",
    "CatalogueInvalid",
    "Names",
    "guide_for",
    "guides",
    "parse_catalogue",
]

FORMAT = "qiaolink-catalogue/1"
ItemCode = Annotated[str, Field(pattern=r"^[A-Z]{2}-\d{3}$")]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class CatalogueInvalid(DataFileInvalid):
    """Not a valid catalogue file; ``field`` names where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Names(_Strict):
    """One text in the three languages of the product."""

    zh: Text
    en: Text
    it: Text


class Category(_Strict):
    name: Names
    department: Names
    legal_basis: Text


class Material(_Strict):
    name: Names
    formats: list[Literal["image", "pdf"]] = Field(min_length=1)
    original_required: bool
    essential: bool
    common_mistakes: Names


class Item(_Strict):
    code: ItemCode
    category: Key
    name: Names
    materials: list[Key] = Field(min_length=1)
    promised_days: int = Field(ge=1, le=365)
    statutory_days: int = Field(ge=1, le=365)
    needs_video: bool
    zero_visit: bool
    fee_cny: int = Field(ge=0)
    allows_pending: bool

    @model_validator(mode="after")
    def _promise_within_law(self) -> Item:
        if self.promised_days > self.statutory_days:
            raise ValueError("promised_days must not exceed statutory_days")
        return self


class CatalogueFile(_Strict):
    format: Literal["qiaolink-catalogue/1"]
    source: Text
    categories: dict[Key, Category] = Field(min_length=1)
    materials: dict[Key, Material] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)


def parse_catalogue(text: str) -> CatalogueFile:
    """The catalogue in ``text``, or :class:`CatalogueInvalid` naming the first wrong field."""
    catalogue = parse_data_file(text, CatalogueFile, CatalogueInvalid)
    seen: set[str] = set()
    for index, item in enumerate(catalogue.items):
        if item.code in seen:
            raise CatalogueInvalid(f"items[{index}].code", f"{item.code} appears twice")
        seen.add(item.code)
        if item.category not in catalogue.categories:
            raise CatalogueInvalid(
                f"items[{index}].category", f"no category {item.category} in categories"
            )
        for position, material in enumerate(item.materials):
            if material not in catalogue.materials:
                raise CatalogueInvalid(
                    f"items[{index}].materials[{position}]", f"no material {material} in materials"
                )
    return catalogue


def guides(catalogue: CatalogueFile) -> list[dict[str, Any]]:
    """Every item's guide, as the store keeps it."""
    return [guide_for(catalogue, item) for item in catalogue.items]


def guide_for(catalogue: CatalogueFile, item: Item) -> dict[str, Any]:
    """The full guide (办事指南) of one item.

    The office's contact is not part of it: it comes from the hub's settings when the guide is
    shown, so a new phone number never needs a new version of 59 guides.
    """
    category = catalogue.categories[item.category]
    dept = category.department
    return {
        "code": item.code,
        "category": item.category,
        **_flat("name", item.name),
        **_flat("category_name", category.name),
        **_flat("department", dept),
        "legal_basis": category.legal_basis,
        "steps": [
            "在海外分中心窗口或本人设备上提交申请与材料 / lodge the application and materials "
            "at the branch or on your own device",
            "分中心核对原件，标注材料可信等级 / the branch checks originals and marks each "
            "material's trust level",
            f"{dept.zh}受理审查 / {dept.en} reviews and accepts",
            "办结后在线查询结果并评价 / follow the result online and rate the service",
        ],
        "materials": [_material(code, catalogue.materials[code]) for code in item.materials],
        "fee_cny": item.fee_cny,
        "statutory_days": item.statutory_days,
        "promised_days": item.promised_days,
        "needs_video": item.needs_video,
        "zero_visit": item.zero_visit,
        "allows_pending": item.allows_pending,
    }


def _flat(prefix: str, names: Names) -> dict[str, str]:
    return {f"{prefix}_{lang}": text for lang, text in names.model_dump().items()}


def _material(code: str, material: Material) -> dict[str, Any]:
    name, mistakes = material.name, material.common_mistakes
    return {
        "code": code,
        **_flat("name", name),
        "description": f"{name.zh}（{name.en}）清晰完整的扫描件或照片",
        "formats": list(material.formats),
        "original_required": material.original_required,
        "essential": material.essential,
        "sample": f"完整的{name.zh}，四角可见、文字清晰、无反光 / the whole {name.en.lower()}, "
        "all four corners visible, text legible, no glare",
        "common_mistakes": f"{mistakes.zh} / {mistakes.en}",
        **_flat("common_mistakes", mistakes),
    }
