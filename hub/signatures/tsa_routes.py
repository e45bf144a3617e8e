"""The hub's RFC 3161 timestamp authority over HTTP, and the CA certificate to trust."""

from __future__ import annotations

import asyncio

from aiohttp import web
from cryptography.hazmat.primitives.serialization import Encoding

from common.access import PUBLIC
from common.errors import N_, DomainError
from common.web import RouteTable
from hub.pki import PKI

__all__ = ["routes"]

routes = RouteTable()
MAX_QUERY = 8 * 1024  # a TimeStampReq is a few hundred bytes


@routes.post(
    "/api/tsa",
    access=PUBLIC,
    summary="RFC 3161 timestamp (application/timestamp-query -> application/timestamp-reply)",
    tags=("signatures",),
)
async def timestamp(request: web.Request) -> web.Response:
    if request.content_type != "application/timestamp-query":
        raise DomainError(
            "tsa.content_type",
            N_("Send a timestamp query as application/timestamp-query."),
            status=415,
        )
    if request.content_length is not None and request.content_length > MAX_QUERY:
        raise DomainError("tsa.too_large", N_("The timestamp query is too large."), status=413)
    body = await request.content.read(MAX_QUERY + 1)
    if len(body) > MAX_QUERY:
        raise DomainError("tsa.too_large", N_("The timestamp query is too large."), status=413)
    tsa = request.app[PKI].tsa
    reply = await asyncio.get_running_loop().run_in_executor(None, tsa.respond_der, body)
    return web.Response(body=reply, content_type="application/timestamp-reply")


@routes.get(
    "/api/pki/ca.pem",
    access=PUBLIC,
    summary="The hub CA certificate: the trust root for signed PDFs and timestamps",
    tags=("signatures",),
)
async def ca_certificate(request: web.Request) -> web.Response:
    pem = request.app[PKI].ca.certificate.public_bytes(Encoding.PEM)
    return web.Response(body=pem, content_type="application/x-pem-file")


@routes.get(
    "/api/pki/crl",
    access=PUBLIC,
    summary="The hub CA's current certificate revocation list (DER), named in every certificate",
    tags=("signatures",),
)
async def revocation_list(request: web.Request) -> web.Response:
    pki = request.app[PKI]
    crl = await asyncio.get_running_loop().run_in_executor(None, pki.crl)
    return web.Response(body=crl.public_bytes(Encoding.DER), content_type="application/pkix-crl")
