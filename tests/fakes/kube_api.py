"""A local HTTPS Kubernetes API server with its own CA, as almost every cluster has.

It serves GET and PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name} (the apps/v1
contract validates each request), records the bearer tokens it saw, and reports a rollout as
complete. `ca_pem` is the CA a client must trust; nothing else verifies its certificate.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes.contracts import Contract


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name | None,
    signer: ec.EllipticCurvePrivateKey,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


@dataclass
class KubeAPI:
    folder: Path
    url: str = ""
    tokens: list[str] = field(default_factory=list)
    generation: int = 2

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.crt"

    def _write_tls(self) -> ssl.SSLContext:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _cert("test cluster CA", ca_key, None, ca_key, ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert("127.0.0.1", key, ca.subject, ca_key, ca=False)
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        (self.folder / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (self.folder / "tls.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.folder / "tls.crt", self.folder / "tls.key")
        return context

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        as_httpx = httpx.Request(
            request.method,
            str(request.url).replace("http://", "https://"),
            headers=list(request.headers.items()),
            content=body,
        )
        Contract("kubernetes-apps-v1", self.url).check_request(as_httpx)
        self.tokens.append(request.headers.get("Authorization", ""))
        name = request.match_info["name"]
        deployment = {
            "metadata": {"name": name, "generation": self.generation},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}}, "template": {}},
            "status": {
                "observedGeneration": self.generation,
                "replicas": 2,
                "updatedReplicas": 2,
                "availableReplicas": 2,
            },
        }
        return web.Response(text=json.dumps(deployment), content_type="application/json")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[KubeAPI]:
        app = web.Application()
        app.router.add_route("*", "/apis/apps/v1/namespaces/{ns}/deployments/{name}", self._handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self._write_tls())
        await site.start()
        port = runner.addresses[0][1]
        self.url = f"https://127.0.0.1:{port}"
        try:
            yield self
        finally:
            await runner.cleanup()
