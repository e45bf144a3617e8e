"""The judicial-confirmation package (司法确认材料) of a settled case: the signed agreement and its
text, the sealed recordings of every session, the identity decisions and consents behind each
party's signature, and the audit entries of the case with inclusion proofs under one signed tree
head — one archive, its manifest signed by the hub seal (``signing.package``)."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from aiohttp import web
from sqlalchemy import select

from common.access import Principal, Role, Scope, allow
from common.auditlog.routes import AUDIT_LOG
from common.errors import N_, NotFound
from common.service import AUDIT, CLOCK, DB, audit
from common.web import RouteTable, current_principal
from hub.mediation import service
from hub.mediation.model import Step
from hub.mediation.routes import READERS, _visible
from hub.mediation.runtime import MEDIATION
from hub.mediation.service import CaseFile
from hub.mediation.tables import SignedPackage
from hub.pki import PKI
from hub.seal import HUB_SEAL
from hub.sessions import service as video
from hub.sessions.live import LIVE
from hub.signatures.tables import node_keys
from signing.package import PackageFile, build_package, verify_package
from signing.primitives import ecdsa_p256_sign
from signing.recording import canonical

__all__ = ["build", "latest", "routes", "verify_latest"]


def _agreement(f: CaseFile) -> Any:
    f.check(Step.PACKAGE)
    doc = next(d for d in reversed(f.documents) if d.kind == "agreement" and d.state == "sealed")
    return doc


async def _recordings(
    request: web.Request, f: CaseFile
) -> tuple[list[PackageFile], list[dict[str, Any]], list[dict[str, Any]]]:
    files: list[PackageFile] = []
    entries: list[dict[str, Any]] = []
    crosschecks: list[dict[str, Any]] = []
    root = request.app[LIVE].recordings
    for held in f.sessions:
        found = await video.load_session(request.app[DB], held.video_session)
        for seg in found["segments"]:
            folder = root / held.video_session
            base = f"recordings/{held.video_session}/{seg['file']}"
            files.append(
                PackageFile(
                    f"{base}.manifest.json", (folder / f"{seg['file']}.manifest.json").read_bytes()
                )
            )
            files.append(
                PackageFile(f"{base}.qlenv", (folder / f"{seg['file']}.qlenv").read_bytes())
            )
            entries.append(
                {
                    "manifest": f"{base}.manifest.json",
                    "file": f"{base}.qlenv",
                    "session": held.video_session,
                    "kind": held.kind,
                    "plain_sha256": seg["sha256"],
                }
            )
        files += _crosscheck(held.video_session, found, crosschecks)
    return files, entries, crosschecks


def _crosscheck(
    session_id: str, found: dict[str, Any], entries: list[dict[str, Any]]
) -> list[PackageFile]:
    """Both recordings' manifests of a session side by side, with how they compared (the
    branch's also sits in the audited entries, with its inclusion proof)."""
    check = found.get("crosscheck")
    if check is None:
        return []
    base = f"recordings/{session_id}"
    hub = {"session_id": session_id, "segments": found["segments"]}
    entries.append(
        {
            "session": session_id,
            "hub_manifest": f"{base}/hub-manifest.json",
            "branch_manifest": f"{base}/branch-manifest.json",
            "agree": check["agree"],
            "disagreements": check["disagreements"],
        }
    )
    return [
        PackageFile(f"{base}/hub-manifest.json", canonical(hub)),
        PackageFile(f"{base}/branch-manifest.json", canonical(check["branch_manifest"])),
    ]


async def _proofs(request: web.Request, f: CaseFile) -> tuple[dict[str, Any], str]:
    """Every audit entry of the case and its sessions, proved under a freshly signed head."""
    log = request.app[AUDIT_LOG]
    head = await log.advance()
    events, leaves = request.app[AUDIT], log.tables.leaves
    subjects = [f"mediation:{f.case.number}", *(video.subject(s.video_session) for s in f.sessions)]
    async with request.app[DB].sessions() as session:
        rows = (
            await session.execute(
                select(leaves.c.idx, events.c.entry)
                .join(events, events.c.id == leaves.c.event_id)
                .where(events.c.subject.in_(subjects), leaves.c.idx < head.tree_size)
                .order_by(leaves.c.idx)
            )
        ).all()
    entries = []
    for row in rows:
        proof = await log.inclusion(int(row.idx), head.tree_size)
        entries.append({"index": int(row.idx), "entry": str(row.entry), "proof": proof["proof"]})
    return {"tree_head": head.to_json(), "entries": entries}, log.public_key.hex()


async def _node_keys(request: web.Request, key_ids: set[str]) -> dict[str, Any]:
    async with request.app[DB].sessions() as session:
        rows = (
            await session.execute(select(node_keys).where(node_keys.c.key_id.in_(key_ids or {"-"})))
        ).all()
    return {r.key_id: {"branch": r.branch, "public_key": bytes(r.public_key).hex()} for r in rows}


def _case_summary(f: CaseFile, doc: Any) -> dict[str, Any]:
    c = f.case
    return {
        "number": c.number,
        "office": c.office,
        "subject": c.subject,
        "mediator": {"username": c.mediator, "name": c.mediator_name, "office": c.mediator_office},
        "opened_at": c.opened_at.isoformat(),
        "settled_at": c.settled_at.isoformat() if c.settled_at else None,
        "participants": [
            {
                "id": p.id,
                "role": p.role,
                "represents": p.represents,
                "name": p.name,
                "resident_id": f"resident:{p.document}",
                "country": p.country,
                "location": p.location,
            }
            for p in f.people
        ],
        "sessions": [
            {
                "id": s.video_session,
                "kind": s.kind,
                "opened_at": s.opened_at.isoformat(),
                "ended_at": s.ended_at.isoformat() if s.ended_at else None,
            }
            for s in f.sessions
        ],
        "agreement": {
            "version": doc.version,
            "text_sha256": doc.text_sha256,
            "sha256": doc.current_sha256,
        },
    }


async def _contents(request: web.Request, f: CaseFile) -> tuple[list[PackageFile], dict[str, Any]]:
    doc = _agreement(f)
    store = request.app[MEDIATION].store
    files = [
        PackageFile("agreement/agreement.pdf", store.get(doc.current_sha256)),
        PackageFile("agreement/agreement.txt", doc.text.encode()),
    ]
    recordings, rec_entries, crosschecks = await _recordings(request, f)
    identity, consents, key_ids = [], [], set()
    for sig in f.signatures_of(doc):
        if sig.consent is None or sig.face_decision is None:
            continue
        name = sig.signer.replace(":", "-")
        decision = json.loads(sig.face_decision)
        key_ids.add(str(decision["key_id"]))
        files.append(PackageFile(f"identity/{name}.json", sig.face_decision.encode()))
        files.append(PackageFile(f"consents/{name}.json", canonical(sig.consent)))
        identity.append(
            {
                "file": f"identity/{name}.json",
                "signer": sig.signer,
                "resident_id": sig.consent["resident_id"],
            }
        )
        consents.append(f"consents/{name}.json")
    proofs, log_key = await _proofs(request, f)
    files += [
        PackageFile("case.json", canonical(_case_summary(f, doc))),
        *recordings,
        PackageFile("audit/proofs.json", canonical(proofs)),
    ]
    meta = {
        "case": f.case.number,
        "agreement": {
            "file": "agreement/agreement.pdf",
            "text_file": "agreement/agreement.txt",
            "text_sha256": doc.text_sha256,
            "draft_sha256": doc.draft_sha256,
            "draft_size": doc.draft_size,
            "resident_signatures": len(doc.signers),
        },
        "recordings": rec_entries,
        "recording_crosschecks": crosschecks,
        "identity": identity,
        "consents": consents,
        "node_keys": await _node_keys(request, key_ids),
        "audit": {
            "log_key": log_key,
            "proofs": "audit/proofs.json",
            "tree_size": proofs["tree_head"]["tree_size"],
        },
    }
    return files, meta


async def build(request: web.Request, number: str, actor: Principal) -> SignedPackage:
    async with request.app[DB].sessions() as session:
        case = await service.load(session, number)
        service.require_mediator(case, actor)
        f = await service.case_file(session, case)
    files, meta = await _contents(request, f)
    archive = request.app[HUB_SEAL].archive
    assert archive is not None
    now = request.app[CLOCK].now()
    data = await asyncio.get_running_loop().run_in_executor(
        None,
        functools.partial(
            build_package,
            files,
            meta=meta,
            created_at=now,
            sign=functools.partial(ecdsa_p256_sign, archive.key),
            certificate=archive.certificate,
        ),
    )
    store = request.app[MEDIATION].store
    async with store.kept(data) as digest, request.app[DB].transaction() as session:
        case = await service.load(session, number, lock=True)
        row = SignedPackage(
            case_id=case.id,
            sha256=digest,
            size=len(data),
            tree_size=int(meta["audit"]["tree_size"]),
            built_by=actor.subject,
            built_at=now,
        )
        session.add(row)
        detail = {
            "sha256": digest,
            "size": len(data),
            "files": len(files),
            "tree_size": row.tree_size,
        }
        await audit(request, session, "mediation.packaged", f"mediation:{number}", detail)
    return row


async def latest(request: web.Request, number: str) -> tuple[SignedPackage, bytes]:
    async with request.app[DB].sessions() as session:
        case = await service.load(session, number)
        row = await session.scalar(
            select(SignedPackage)
            .where(SignedPackage.case_id == case.id)
            .order_by(SignedPackage.id.desc())
            .limit(1)
        )
    if row is None:
        raise NotFound("mediation.no_package", N_("No package has been built for this case yet."))
    return row, request.app[MEDIATION].store.get(row.sha256)


async def verify_latest(request: web.Request, number: str) -> tuple[SignedPackage, Any]:
    row, data = await latest(request, number)
    roots = request.app[PKI].trust_roots
    verdict = await asyncio.get_running_loop().run_in_executor(
        None, functools.partial(verify_package, data, trust_roots=roots)
    )
    return row, verdict


routes = RouteTable()
TAGS = ("mediation",)
BUILDERS = allow(Role.MEDIATOR, scope=Scope.ASSIGNED)


@routes.post(
    "/api/mediation/cases/{number}/package",
    access=BUILDERS,
    summary="Build the judicial-confirmation package of a settled case",
    tags=TAGS,
)
async def post_package(request: web.Request) -> web.Response:
    row = await build(request, request.match_info["number"], current_principal(request))
    body = {
        "sha256": row.sha256,
        "size": row.size,
        "tree_size": row.tree_size,
        "built_at": row.built_at.isoformat(),
    }
    return web.json_response(body, status=201)


@routes.get(
    "/api/mediation/cases/{number}/package",
    access=READERS,
    summary="The latest judicial-confirmation package (ZIP)",
    tags=TAGS,
)
async def get_package(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        await _visible(request, session, request.match_info["number"])
    row, data = await latest(request, request.match_info["number"])
    name = f"{request.match_info['number']}-judicial-confirmation.zip"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Package-SHA256": row.sha256,
    }
    return web.Response(body=data, content_type="application/zip", headers=headers)


@routes.get(
    "/api/mediation/cases/{number}/package/verification",
    access=READERS,
    summary="Every check of the latest package, as the offline verifier makes them",
    tags=TAGS,
)
async def get_verification(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        await _visible(request, session, request.match_info["number"])
    row, verdict = await verify_latest(request, request.match_info["number"])
    checks = [{"subject": c.subject, "ok": c.ok, "detail": c.detail} for c in verdict.checks]
    return web.json_response({"sha256": row.sha256, "ok": verdict.ok, "checks": checks})
