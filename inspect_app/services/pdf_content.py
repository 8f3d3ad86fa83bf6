"""Active content in an uploaded PDF: what acts by itself when the file is opened or viewed.

Evidence PDFs are opened by inspectors on their own machines, so a script or an embedded program in one is
refused at upload. The names that mark active content are looked for in the file's own bytes and in its
streams, unpacked, above all in object streams, where a PDF 1.5 file keeps most of its dictionaries
compressed. A stream is known as an object stream by what it holds (pairs of integers, then objects), not by
what its dictionary says, since a reader finds it through the cross-reference table whatever the dictionary
claims. Images and font programs are binary data and skipped once they are seen not to hold objects.
A file that cannot be read far enough to tell is refused too.
"""

from __future__ import annotations

import re
import zlib

from flask_babel import gettext as _

from . import DomainError

# Scripts, additional (automatic) actions, launching programs, embedded files, Flash and 3D media, XML forms,
# sending or fetching data.
ACTIVE_NAMES = frozenset({"JS", "JavaScript", "AA", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "XFA",
                          "SubmitForm", "ImportData", "GoToE"})
MAX_INFLATED = 256 * 1024 * 1024  # what the compressed streams of a 15 MB file may unpack to, in all

FLATE = frozenset({"FlateDecode", "Fl"})
IMAGE_CODECS = frozenset({"DCTDecode", "DCT", "JPXDecode", "CCITTFaxDecode", "CCF", "JBIG2Decode"})
# Filters no current writer uses for objects; rather than decode them, such a file is refused.
RARE_FILTERS = frozenset({"LZWDecode", "LZW", "RunLengthDecode", "RL", "ASCIIHexDecode", "AHx", "ASCII85Decode",
                          "A85", "Crypt"})
BINARY_MARKS = frozenset({"Image", "Length1", "Length2", "Length3", "Type1C", "CIDFontType0C", "OpenType"})

_WS = rb"\x00\t\n\x0c\r "
# A name, some characters perhaps written as #xx escapes (/J#53 is /JS), up to the delimiter that ends it.
_NAME = re.compile(rb"/((?:[A-Za-z0-9]|#[0-9A-Fa-f]{2})+)(?=[" + _WS + rb"()<>\[\]{}/%])")
_OBJECT_HEADER = re.compile(rb"\d+[" + _WS + rb"]+\d+[" + _WS + rb"]+obj")
_STREAM = re.compile(rb">>[" + _WS + rb"]*stream(?:\r\n|\n|\r)")
_LENGTH = re.compile(rb"/Length[" + _WS + rb"]+(\d+)(?![" + _WS + rb"]+\d+[" + _WS + rb"]+R)")
_PREDICTOR = re.compile(rb"/Predictor[" + _WS + rb"]+(\d+)")
_PARAMETER = re.compile(rb"/(Columns|Colors|BitsPerComponent)[" + _WS + rb"]+(\d+)")
# What an object stream begins with, after any white space and comments: an object number and its offset.
_HOLDS_OBJECTS = re.compile(rb"(?:[" + _WS + rb"]|%[^\r\n]*)*\d+[" + _WS + rb"]+\d+")
PIECE = 1 << 20
PEEK = 4096  # enough of a stream's beginning to tell whether it holds objects


def check(data: bytes) -> None:
    """Refuse a PDF with active content, or one that cannot be read far enough to tell."""
    if b"%%EOF" not in data[-1024:] or not _OBJECT_HEADER.search(data):
        raise _unreadable()
    found: set[str] = set()
    budget = [MAX_INFLATED]
    position = 0
    for match in _STREAM.finditer(data):
        if match.start() < position:  # the keyword inside a stream already read
            continue
        found |= names(data[position:match.end()])
        headers = list(_OBJECT_HEADER.finditer(data, position, match.start()))
        dictionary = data[headers[-1].end() if headers else position:match.start() + 2]
        stream_names, position = _scan_stream(data, match.end(), dictionary, budget)
        found |= stream_names
    found |= names(data[position:] + b" ")
    active = found & ACTIVE_NAMES
    if active:
        raise DomainError(_("这个 PDF 含有打开时会自动运行或调用的内容（%(names)s），不能上传。请用“打印”另存为"
                            "普通 PDF 后再上传。", names="、".join(f"/{name}" for name in sorted(active))))


def names(text: bytes) -> set[str]:
    """Every name in `text`, its escapes decoded."""
    return {re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), m.group(1)).decode("latin-1")
            for m in _NAME.finditer(text)}


def _scan_stream(data: bytes, start: int, dictionary: bytes, budget: list[int]) -> tuple[set[str], int]:
    """The names inside one stream, and where its data ends."""
    keys = names(dictionary + b" ")
    if keys & RARE_FILTERS:
        raise _unreadable()
    length = _LENGTH.search(dictionary)
    end = start + int(length.group(1)) if length else -1
    if not (length and data[end:end + 32].lstrip(_WS).startswith(b"endstream")):
        end = data.find(b"endstream", start)
    end = len(data) if end < 0 else end
    # Data that begins as zlib data does is unpacked whatever the dictionary says (it may be misread).
    head = data[start:start + 2]
    if keys & FLATE or (len(head) == 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0):
        try:
            return _inflate(data, start, end, dictionary, keys, budget)
        except zlib.error:
            if keys & FLATE:
                raise _unreadable() from None
    if keys & IMAGE_CODECS or (keys & BINARY_MARKS and not _HOLDS_OBJECTS.match(data, start)):
        return set(), end
    return names(data[start:end] + b" "), end


def _inflate(data: bytes, start: int, end: int, dictionary: bytes, keys: set[str],
             budget: list[int]) -> tuple[set[str], int]:
    """Unpack a Flate stream piece by piece, looking for names, with an overlap for a name cut in two; where
    the zlib data ends by itself, or `end` for an image or font, left packed once its first piece is seen.
    Data behind a predictor is undone first: whole, once its beginning shows objects."""
    match = _PREDICTOR.search(dictionary)
    predictor = int(match.group(1)) if match and int(match.group(1)) >= 2 else None
    inflater = zlib.decompressobj()
    found: set[str] = set()
    position, tail, first, predicted = start, b"", True, bytearray()
    while not inflater.eof:
        chunk = inflater.unconsumed_tail
        if not chunk:
            if position >= len(data):
                raise _unreadable()  # the compressed data never ends
            chunk = data[position:position + PIECE]
            position += len(chunk)
        piece = inflater.decompress(chunk, PIECE)
        budget[0] -= len(piece)
        if budget[0] < 0:
            raise _unreadable()
        if first and piece:
            first = False
            head = piece if predictor is None else _unpredict(piece[:PEEK], dictionary, predictor)
            if (predictor or keys & BINARY_MARKS) and not _HOLDS_OBJECTS.match(head):
                return found, end
        if predictor:
            predicted += piece
            continue
        found |= names(tail + piece)
        tail = piece[-64:]
    if predictor:
        tail = _unpredict(bytes(predicted), dictionary, predictor)
    found |= names(tail + b" ")
    return found, position - len(inflater.unused_data)


def _unpredict(data: bytes, dictionary: bytes, predictor: int) -> bytes:
    """Data as it was before a PNG or TIFF predictor (a row's bytes as differences from their neighbours)."""
    parameters = {key.decode(): int(value) for key, value in _PARAMETER.findall(dictionary)}
    colours, bits = parameters.get("Colors", 1), parameters.get("BitsPerComponent", 8)
    width = max(1, (parameters.get("Columns", 1) * colours * bits + 7) // 8)
    step = max(1, colours * bits // 8)
    out = bytearray()
    if predictor == 2:  # TIFF: each sample the difference from the one a pixel before
        if bits != 8:
            raise _unreadable()
        for row in range(0, len(data), width):
            line = bytearray(data[row:row + width])
            for i in range(step, len(line)):
                line[i] = (line[i] + line[i - step]) & 0xFF
            out += line
        return bytes(out)
    previous = bytearray(width)
    for row in range(0, len(data), width + 1):  # PNG: a filter byte before each row
        kind, line = data[row], bytearray(data[row + 1:row + 1 + width])
        for i in range(len(line)):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                nearest = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[i] = (line[i] + nearest[2]) & 0xFF
        out += line
        previous = line
    return bytes(out)


def _unreadable() -> DomainError:
    return DomainError(_("无法检查这个 PDF 的内容（文件不完整、已加密或使用了少见的压缩方式），请用“打印”另存为普通"
                         " PDF 后再上传。"))
