"""The HTTP/1.1 protocol `geoapi serve` runs: uvicorn's httptools one, whose own refusals are
problem+json like every other error of the service.

A request the parser cannot read (a URL past 64 KiB, a malformed request line or header)
never reaches the application, so uvicorn answers it itself, in plain text; here it answers
in the service's one error shape.
"""

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from geoapi.errors import InvalidParameter
from geoapi.media import PROBLEM_JSON


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, its 400 for unparsable requests as problem+json."""

    def send_400_response(self, msg: str) -> None:
        """Answer 400 problem+json and close, as uvicorn does in plain text."""
        body = json.dumps(
            {
                "type": "about:blank",
                "title": InvalidParameter.title,
                "status": 400,
                "detail": f"{msg} (a URL over 64 KiB, or a malformed request line or header)",
                "code": InvalidParameter.code,
            }
        ).encode()
        head = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend(
            [
                b"content-type: " + PROBLEM_JSON.encode() + b"\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n\r\n",
            ]
        )
        self.transport.write(b"".join(head) + body)
        self.transport.close()
