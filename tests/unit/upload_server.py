#!/usr/bin/env python3
"""A second, independent reader of bptb_pay_file_confirm uploads, for the tests: standard library only.

Usage: upload_server.py PARTNER MD5_KEY
Listens on 127.0.0.1 and a free port, prints "port N" on stdout, then for each POST parses the multipart body with
email.parser.BytesParser (given the request's own Content-Type), recomputes the sign string (every field but sign,
sign_type and bptb_pay_file, empty values dropped, keys sorted, key=value joined with '&'), its MD5 signature
(md5 of sign string + key, in _input_charset) and the file digest (MD5 or SHA-256 for "SHA"), prints one JSON line
of what it read, and answers 文件上传成功! or 文件上传失败! and what was wrong, in _input_charset.
"""
import hashlib
import json
import re
import sys
import urllib.parse
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, HTTPServer

PARTNER, KEY = sys.argv[1], sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        query = urllib.parse.urlsplit(self.path).query
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        charset = pairs[0][1] if len(pairs) == 1 and pairs[0][0] == "_input_charset" else None
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        problems = []
        if charset is None:
            problems.append("the action's query is not _input_charset alone: %r" % query)
            charset = "gbk"
        ctype = self.headers.get("Content-Type", "")
        message = BytesParser().parsebytes(b"Content-Type: " + ctype.encode("ascii") + b"\r\n\r\n" + body)
        fields, file_name, file_bytes = {}, None, None
        if not message.is_multipart():
            problems.append("not multipart: " + ctype)
        else:
            for part in message.get_payload():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if name == "bptb_pay_file":
                    # compat32 keeps a header's non-ASCII bytes as surrogate escapes in the raw value: get the bytes
                    # back, then read them in the charset (get_param would have replaced them).
                    disposition = dict(part.raw_items()).get("Content-Disposition", "")
                    found = re.search(r'filename="([^"]*)"', disposition)
                    file_name = found.group(1).encode("ascii", "surrogateescape").decode(charset) if found else None
                    file_name = file_name and file_name.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
                    file_bytes = payload
                    if part.get_content_type() != "application/octet-stream":
                        problems.append("file part Content-Type " + part.get_content_type())
                elif name in fields:
                    problems.append("field %s twice" % name)
                else:
                    fields[name] = payload.decode(charset)
        if fields.get("_input_charset") != charset:
            problems.append("form _input_charset %r, action %r" % (fields.get("_input_charset"), charset))
        if fields.get("service") != "bptb_pay_file_confirm":
            problems.append("service %r" % fields.get("service"))
        if fields.get("partner") != PARTNER:
            problems.append("partner %r" % fields.get("partner"))
        signed = sorted((k, v) for k, v in fields.items() if k not in ("sign", "sign_type", "bptb_pay_file") and v != "")
        sign_string = "&".join("%s=%s" % kv for kv in signed)
        expected_sign = hashlib.md5((sign_string + KEY).encode(charset)).hexdigest()
        if fields.get("sign_type") != "MD5" or fields.get("sign") != expected_sign:
            problems.append("sign %r, expected %r over %r" % (fields.get("sign"), expected_sign, sign_string))
        digest_type = fields.get("file_digest_type")
        if file_bytes is None:
            problems.append("no bptb_pay_file part")
            digest = None
        else:
            algorithm = {"MD5": hashlib.md5, "SHA": hashlib.sha256}.get(digest_type)
            digest = algorithm(file_bytes).hexdigest() if algorithm else None
            if digest is None or fields.get("digest_bptb_pay_file") != digest:
                problems.append("digest %r (%s), computed %r" % (fields.get("digest_bptb_pay_file"), digest_type, digest))
        print(json.dumps({"fields": fields, "file_name": file_name, "file_length": None if file_bytes is None else len(file_bytes),
                          "sign_string": sign_string, "digest": digest, "problems": problems}, ensure_ascii=False), flush=True)
        answer = ("文件上传成功!" if not problems else "文件上传失败!" + "; ".join(problems)).encode(charset, "replace")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=" + charset)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


server = HTTPServer(("127.0.0.1", 0), Handler)
print("port %d" % server.server_address[1], flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
