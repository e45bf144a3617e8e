"""Every bad input gets a clear error and leaves nothing half-stored."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from common.uploads import UploadLimits
from tests.helpers import pdf_bytes, png_bytes

from .conftest import Hub


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A tiny file that claims 400 megapixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def encrypted_pdf() -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf_bytes()), strict=False))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BAD_FILES = [
    ("an executable named .png", b"MZ\x90\x00" + b"\x00" * 200, "upload.unsupported_type", 422),
    ("an empty file", b"", "upload.empty", 422),
    ("a truncated PNG", png_bytes()[:60], "upload.malformed_image", 422),
    ("a pixel bomb", huge_png(), "upload.too_many_pixels", 422),
    ("a PDF cut in half", pdf_bytes()[:200], "upload.malformed_pdf", 422),
    (
        "garbage after a PDF header",
        b"%PDF-1.7\n" + b"\x00garbage" * 40,
        "upload.malformed_pdf",
        422,
    ),
    ("an encrypted PDF", encrypted_pdf(), "upload.pdf_encrypted", 422),
    (
        "an oversized file",
        b"\xff\xd8\xff" + b"\x00" * (UploadLimits().max_bytes + 1),
        "upload.too_large",
        413,
    ),
]


@pytest.mark.parametrize(
    ("what", "data", "code", "status"), BAD_FILES, ids=[b[0] for b in BAD_FILES]
)
async def test_hostile_uploads_are_refused_and_nothing_is_kept(
    hub: Hub, what: str, data: bytes, code: str, status: int
) -> None:
    number = (await hub.open("HR-005"))["number"]
    resp = await hub.attach(number, "passport", "B", data, name="../../etc/passwd.png")
    assert resp.status == status, what
    body = await resp.json()
    assert body["code"] == code and body["title"]
    assert (await hub.view(number))["materials"] == []
    assert hub.stored_files() == 0


async def test_file_names_are_shown_never_used_as_paths(hub: Hub) -> None:
    number = (await hub.open("HR-005"))["number"]
    resp = await hub.attach(number, "passport", "C", png_bytes(), name="../../etc/passwd.png")
    assert resp.status == 201
    material = (await hub.view(number))["materials"][0]
    assert material["display_name"] == "passwd.png"
    stored = [p for p in (hub.data_dir / "materials").rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [material["sha256"]]


async def test_images_are_reencoded_and_checked_copies_carry_the_mark(hub: Hub) -> None:
    number = (await hub.open("HR-005"))["number"]
    out = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(out, format="JPEG", comment=b"rides along")
    await hub.attach(number, "passport", "B", out.getvalue(), name="passport.jpg")
    material = (await hub.view(number))["materials"][0]
    assert material["content_type"] == "image/png" and material["checked_against_original"]
    stored = await hub.client.get(
        f"/api/applications/{number}/materials/{material['id']}", headers=hub.clerk
    )
    image = Image.open(io.BytesIO(await stored.read()))
    assert image.format == "PNG" and "comment" not in image.info
    # the mark: dark green ink in the top-left corner of an otherwise white page
    corner = image.crop((0, 0, 200, 30)).convert("RGB").getcolors(10_000)
    assert any(rgb == (47, 107, 47) for _count, rgb in corner)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {
                "item_code": "HR-005",
                "resident": {
                    "name": "",
                    "document": "E1",
                    "country": "Italy",
                    "zone": "Mars/Olympus",
                    "lang": "fr",
                },
            },
            {
                "resident.name",
                "resident.document",
                "resident.country",
                "resident.zone",
                "resident.lang",
            },
        ),
        ({"resident": {"name": "A", "document": "E123456", "country": "IT"}}, {"item_code"}),
    ],
)
async def test_bad_application_fields_are_all_named(hub: Hub, body: dict, fields: set[str]) -> None:  # type: ignore[type-arg]
    resp = await hub.client.post("/api/applications", json=body, headers=hub.clerk)
    assert resp.status == 422
    assert {e["field"] for e in (await resp.json())["errors"]} == fields
    queue = await (await hub.client.get("/api/queue", headers=hub.officer)).json()
    assert queue == []


async def test_unknown_item_material_and_trust_are_clear_errors(hub: Hub) -> None:
    missing = await hub.client.post(
        "/api/applications",
        headers={**hub.clerk, "Accept-Language": "zh"},
        json={
            "item_code": "XX-999",
            "resident": {"name": "A", "document": "E123456", "country": "IT"},
        },
    )
    assert missing.status == 404 and (await missing.json())["title"] == "没有事项 XX-999。"
    number = (await hub.open("HR-005"))["number"]
    wrong_material = await hub.attach(number, "horoscope", "C", png_bytes())
    assert (await wrong_material.json())["code"] == "application.unknown_material"
    wrong_trust = await hub.attach(number, "passport", "A", png_bytes())
    assert (await wrong_trust.json())["code"] == "upload.bad_trust"
    assert (await hub.view(number))["materials"] == [] and hub.stored_files() == 0


async def test_a_resident_cannot_mark_their_own_upload_as_checked(hub: Hub) -> None:
    opened = await hub.client.post(
        "/api/self-service/applications",
        json={
            "item_code": "HR-005",
            "branch": "MIL",
            "resident": {"name": "Hu Li", "document": "E7654321", "country": "IT"},
        },
    )
    assert opened.status == 201
    started = await opened.json()
    from aiohttp import FormData

    def form(trust: str) -> FormData:
        f = FormData()
        f.add_field("material", "passport")
        f.add_field("trust", trust)
        f.add_field("file", png_bytes(), filename="p.png")
        return f

    url = f"/api/self-service/applications/{started['number']}/materials"
    code = {"X-Query-Code": started["query_code"]}
    assert (await hub.client.post(url, data=form("B"), headers=code)).status == 422
    assert (
        await hub.client.post(url, data=form("C"), headers={"X-Query-Code": "NOPE"})
    ).status == 404
    assert (await hub.client.post(url, data=form("C"), headers=code)).status == 201
    view = await hub.view(started["number"])
    assert [m["trust"] for m in view["materials"]] == ["C"]
