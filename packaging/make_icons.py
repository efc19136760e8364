"""Render the icon SVGs in resources/icons/ to the PNG, ICO and ICNS files the app and installer use.

Run it after editing an SVG:  .venv/bin/python packaging/make_icons.py
The generated files are committed, so a build never needs to run this.

- rearguard-SIZE.png  16..256: window icon, Linux .desktop icon; sizes up to 32 come from
  rearguard-small.svg (drawn for small sizes), the rest from rearguard.svg
- rearguard.ico       16, 24, 32, 48, 64, 128, 256 (Windows executable and shortcut icon)
- rearguard.icns      16..1024 (macOS .app)
- tray-STATE-SIZE.png idle, running, warning at tray sizes
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
APP_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
SMALL_UP_TO = 32  # sizes up to this use the small drawing
TRAY_STATES = ("idle", "running", "warning")
TRAY_SIZES = (16, 22, 24, 32, 48, 64)
# ICNS entry types holding PNG data, by pixel size (the @2x types reuse the same picture).
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"ic11", 32), (b"icp6", 64), (b"ic12", 64),
    (b"ic07", 128), (b"ic08", 256), (b"ic13", 256), (b"ic09", 512), (b"ic14", 512), (b"ic10", 1024),
)  # fmt: skip


def render(svg: Path, size: int) -> QImage:
    """The SVG drawn into a transparent ``size`` x ``size`` picture."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def app_svg(size: int) -> Path:
    return ICONS / ("rearguard-small.svg" if size <= SMALL_UP_TO else "rearguard.svg")


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit("make_icons: PNG encoding failed")
    buffer.close()
    return bytes(data.data())


def dib_bytes(image: QImage) -> bytes:
    """A 32-bit BMP entry for an ICO: header, bottom-up BGRA rows, then the 1-bit AND mask.

    Small ICO entries are stored as BMP rather than PNG: every Windows component reads those.
    """
    width, height = image.width(), image.height()
    header = struct.pack("<IiiHHIIiiII", 40, width, height * 2, 1, 32, 0, width * height * 4, 0, 0, 0, 0)
    rows = []
    for y in range(height - 1, -1, -1):  # Format_ARGB32 is B, G, R, A in memory on little-endian
        line = image.constScanLine(y)
        rows.append(bytes(line)[: width * 4] if sys.byteorder == "little" else _swap_row(bytes(line), width))
    mask_stride = ((width + 31) // 32) * 4
    mask = bytes(mask_stride * height)  # all 0: the alpha channel decides transparency
    return header + b"".join(rows) + mask


def _swap_row(line: bytes, width: int) -> bytes:
    out = bytearray()
    for x in range(width):
        a, r, g, b = line[x * 4 : x * 4 + 4]
        out += bytes((b, g, r, a))
    return bytes(out)


def ico_bytes(images: dict[int, QImage]) -> bytes:
    """A multi-size ICO: the 256 px entry as PNG (as Windows does it), the others as BMP."""
    sizes = sorted(images)
    blobs = [png_bytes(images[s]) if s >= 256 else dib_bytes(images[s]) for s in sizes]
    offset = 6 + 16 * len(sizes)
    directory = b""
    for size, blob in zip(sizes, blobs, strict=True):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    return struct.pack("<HHH", 0, 1, len(sizes)) + directory + b"".join(blobs)


def icns_bytes(svg_for: dict[int, Path]) -> bytes:
    entries = b""
    for kind, size in ICNS_TYPES:
        blob = png_bytes(render(svg_for[size], size))
        entries += kind + struct.pack(">I", 8 + len(blob)) + blob
    return b"icns" + struct.pack(">I", 8 + len(entries)) + entries


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    print(f"  {path.relative_to(ICONS.parent.parent)}  {len(data):>7} bytes")


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    images = {size: render(app_svg(size), size) for size in APP_SIZES}
    for size, image in images.items():
        write(ICONS / f"rearguard-{size}.png", png_bytes(image))
    write(ICONS / "rearguard.ico", ico_bytes({size: images[size] for size in ICO_SIZES}))
    write(ICONS / "rearguard.icns", icns_bytes({size: app_svg(size) for _, size in ICNS_TYPES}))
    for state in TRAY_STATES:
        for size in TRAY_SIZES:
            write(ICONS / f"tray-{state}-{size}.png", png_bytes(render(ICONS / f"tray-{state}.svg", size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
