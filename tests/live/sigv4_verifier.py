#!/usr/bin/python3
"""A Signature Version 4 check in front of an S3 server that makes none.

s3rver checks the access key but not V4 signatures. This proxy signs each
request again with botocore (the AWS SDK's own signer, an implementation
independent of msgbed's), over the headers the request says it signed,
and refuses it with S3's 403 SignatureDoesNotMatch unless the signatures
agree; requests that pass go on to the server unchanged.

Usage: sigv4_verifier.py LISTEN_PORT UPSTREAM_PORT SECRET_KEY  (loopback only)
"""
import datetime
import http.client
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

LISTEN, UPSTREAM, SECRET = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/\d{8}/([^/]+)/s3/aws4_request,\s*"
                  r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$")


def expected_signature(method, path, headers, body):
    """botocore's signature for the request, or None if it is not V4-signed."""
    m = AUTH.match(headers.get("Authorization", ""))
    if not m:
        return None, None
    access_key, region, signed, given = m.groups()
    amz_date = headers["x-amz-date"]
    kept = {h: headers[h] for h in signed.split(";") if h not in ("host", "x-amz-date", "x-amz-content-sha256")}
    req = AWSRequest(method=method, url="http://" + headers["host"] + path, headers=kept, data=body)

    class At(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return cls.strptime(amz_date, "%Y%m%dT%H%M%SZ")

    with mock.patch("botocore.auth.datetime.datetime", At):
        S3SigV4Auth(Credentials(access_key, SECRET), "s3", region).add_auth(req)
    return given, AUTH.match(req.headers["Authorization"]).group(4)


class Verifier(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        given, expected = expected_signature(self.command, self.path, self.headers, body)
        if given is None or given != expected:
            return self.reply(403, {"Content-Type": "application/xml"},
                              b"<Error><Code>SignatureDoesNotMatch</Code>"
                              b"<Message>botocore signs this request otherwise</Message></Error>")
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
        try:
            upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
            res = upstream.getresponse()
            data = res.read()
        except OSError as e:  # the server is not up yet, or gone
            return self.reply(502, {}, str(e).encode())
        finally:
            upstream.close()
        kept = {k: v for k, v in res.getheaders() if k.lower() in ("etag", "content-type", "content-range")}
        self.reply(res.status, kept, data, head=self.command == "HEAD", length=res.getheader("Content-Length"))

    def reply(self, status, headers, data, head=False, length=None):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", length if head and length else str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", LISTEN), Verifier).serve_forever()
