"""The real download code against a local HTTP server: verify, refuse corrupt files, resume cut transfers."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gpen_video.errors import ChecksumError, DownloadError, OutputError
from gpen_video.model.download import download
from gpen_video.model.registry import WeightsEntry

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, several read chunks' worth of distinct bytes


class Server(ThreadingHTTPServer):
    files: dict[str, bytes]
    cut_after: dict[str, int]  # path -> bytes sent before the connection drops, once
    requests: list[tuple[str, str | None]]


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        asked = self.headers.get("Range")
        self.server.requests.append((self.path, asked))
        data = self.server.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        start = int(asked.removeprefix("bytes=").split("-")[0]) if asked else 0
        if start >= len(data):
            self.send_error(416)
            return
        self.send_response(206 if asked else 200)
        self.send_header("Content-Length", str(len(data) - start))
        if asked:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        cut = self.server.cut_after.pop(self.path, None)
        self.wfile.write(data[start:] if cut is None else data[start:start + cut])
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.files, httpd.cut_after, httpd.requests = {}, {}, []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def entry_for(server: Server, *paths: str, data: bytes = PAYLOAD) -> WeightsEntry:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return WeightsEntry("TEST", "gpen", "test.pth", tuple(base + p for p in paths), len(data),
                        hashlib.sha256(data).hexdigest(), licence="test only")


def test_good_file(server: Server, tmp_path: Path) -> None:
    server.files["/a.pth"] = PAYLOAD
    path = download(entry_for(server, "/a.pth"), tmp_path, progress=False)
    assert path == tmp_path / "test.pth" and path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.pth"]


def test_corrupt_file_is_refused_and_nothing_is_left(server: Server, tmp_path: Path) -> None:
    server.files["/a.pth"] = PAYLOAD[:-1] + b"\x00"
    with pytest.raises(ChecksumError, match="TEST file from .* does not match .*sha256 differs.*nothing was kept"):
        download(entry_for(server, "/a.pth"), tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_cut_transfer_resumes_with_range(server: Server, tmp_path: Path) -> None:
    server.files["/a.pth"] = PAYLOAD
    server.cut_after["/a.pth"] = 300_000
    path = download(entry_for(server, "/a.pth"), tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("/a.pth", None), ("/a.pth", "bytes=300000-")]


def test_part_file_from_an_earlier_run_is_resumed(server: Server, tmp_path: Path) -> None:
    server.files["/a.pth"] = PAYLOAD
    (tmp_path / "test.pth.part").write_bytes(PAYLOAD[:12345])
    assert download(entry_for(server, "/a.pth"), tmp_path, progress=False).read_bytes() == PAYLOAD
    assert server.requests == [("/a.pth", "bytes=12345-")]


def test_stale_part_file_is_replaced(server: Server, tmp_path: Path) -> None:
    server.files["/a.pth"] = PAYLOAD
    (tmp_path / "test.pth.part").write_bytes(b"\xff" * 1000)  # bytes of some other file
    assert download(entry_for(server, "/a.pth"), tmp_path, progress=False).read_bytes() == PAYLOAD
    assert server.requests == [("/a.pth", "bytes=1000-"), ("/a.pth", None)]


def test_urls_are_tried_in_order(server: Server, tmp_path: Path) -> None:
    server.files["/mirror.pth"] = PAYLOAD
    path = download(entry_for(server, "/gone.pth", "/mirror.pth"), tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert [p for p, _ in server.requests] == ["/gone.pth", "/mirror.pth"]


def test_every_url_failing_is_one_download_error(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="could not download TEST from any of its 2 sources.*404"):
        download(entry_for(server, "/gone.pth", "/also-gone.pth"), tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_an_output_error(server: Server, tmp_path: Path) -> None:
    server.files["/a.pth"] = PAYLOAD
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    with pytest.raises(OutputError, match="cannot create the weights folder"):
        download(entry_for(server, "/a.pth"), blocker / "weights", progress=False)
    assert server.requests == []
