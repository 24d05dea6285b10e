"""Media benchmark: vPDQ video hashing and matching, OCR of posters, PDF text extraction.

Everything is generated here, neutral content only: videos from FFmpeg's lavfi sources
(Mandelbrot zoom, cellular automata, Game of Life, test pattern), posters drawn with Pillow
(DejaVu fonts; text in Latin, Arabic, Persian, Cyrillic and Turkish script), PDFs with fpdf2.
Each speed is printed beside its reference, measured in the same run on the same files:

* vPDQ hashing (decoded frames/s and times real time) vs FFmpeg decoding alone;
* match recall of each bank video's re-encoded (smaller, lower bitrate, then also fewer frames
  a second), trimmed (10 s clip) and contained (a clip inside unrelated footage) copies, and
  false matches of unrelated videos;
* OCR images/s through ``openiru.detect.ocr`` vs PDQ hashing of the same images, and the
  character error rate (CER, Levenshtein distance / reference length) per script; the same
  for an ONNX OCR (``rapidocr-onnxruntime``, models in its wheel) where it is installed;
* PDF pages/s of text extraction (pypdf) vs parsing the pages alone.

    .venv/bin/python benchmarks/media.py [--videos 4] [--seconds 20] [--posters 6] [--pages 200]
        [--parts video,ocr,onnx,pdf]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader
from rapidfuzz.distance import Levenshtein

from openiru.detect import ocr
from openiru.detect.documents import pdf_pages
from openiru.detect.pdq import pdq_of_file
from openiru.detect.video import hash_video
from openiru.detect.video_match import VideoIndex

# Cellular automata are drawn at 160x90 and enlarged (cells of 4x4 pixels): one-pixel cells are
# noise that no perceptual hash keeps through a downscale, unlike the coarse structure of footage.
SOURCES = [
    "mandelbrot=s=640x360:rate=25",
    "cellauto=s=160x90:rate=25:seed=3:rule=110",
    "life=s=160x90:rate=25:seed=7:mold=10:ratio=0.3",
    "testsrc2=s=640x360:rate=25",
    "cellauto=s=160x90:rate=25:seed=11:rule=90",
    "life=s=160x90:rate=25:seed=21:mold=3:ratio=0.2",
]
UNRELATED = [
    "life=s=160x90:rate=25:seed=99:mold=5:ratio=0.5",
    "cellauto=s=160x90:rate=25:seed=8:rule=30",
    "mandelbrot=s=640x360:rate=25:start_x=-0.7:start_y=0.3:start_scale=1",
]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SCRIPTS = {  # neutral lines, one poster per script (Tesseract language, text)
    "latin (eng)": ("eng", "SPRING MARKET IN THE OLD TOWN\nSATURDAY FROM TEN TO FOUR"),
    "arabic (ara)": ("ara", "سوق الربيع في المدينة القديمة\nيوم السبت من العاشرة"),
    "persian (fas)": ("fas", "بازار بهاره در شهر قدیم\nروز شنبه از ساعت ده"),
    "cyrillic (rus)": ("rus", "ВЕСЕННЯЯ ЯРМАРКА В СТАРОМ ГОРОДЕ\nСУББОТА С ДЕСЯТИ"),
    "turkish (tur)": ("tur", "ESKİ ŞEHİRDE BAHAR PAZARI\nCUMARTESİ SAAT ONDA"),
}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make_videos(folder: Path, n: int, seconds: int) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for i, spec in enumerate(SOURCES[:n]):
        out[f"v{i}"] = folder / f"v{i}.mp4"
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            spec,
            "-t",
            str(seconds),
            "-vf",
            "scale=640:360:flags=neighbor",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            "1500k",
            str(out[f"v{i}"]),
        )
    for i, spec in enumerate(UNRELATED):
        out[f"u{i}"] = folder / f"u{i}.mp4"
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            spec,
            "-t",
            str(seconds),
            "-vf",
            "scale=640:360:flags=neighbor",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            str(out[f"u{i}"]),
        )
    return out


def variants(folder: Path, key: str, source: Path, other: Path) -> dict[str, Path]:
    v = {
        "re-encoded 320x180 200 kbit/s": folder / f"{key}_small.mp4",
        "same, and 15 frames/s": folder / f"{key}_small15.mp4",
        "trimmed (10 s clip)": folder / f"{key}_clip.mp4",
        "contained (8 s amid other footage)": folder / f"{key}_inside.mp4",
    }
    ffmpeg(
        "-i",
        str(source),
        "-vf",
        "scale=320:180",
        "-c:v",
        "libx264",
        "-b:v",
        "200k",
        str(v["re-encoded 320x180 200 kbit/s"]),
    )
    ffmpeg(
        "-i",
        str(source),
        "-vf",
        "scale=320:180",
        "-c:v",
        "libx264",
        "-b:v",
        "200k",
        "-r",
        "15",
        str(v["same, and 15 frames/s"]),
    )
    ffmpeg(
        "-ss",
        "5",
        "-i",
        str(source),
        "-t",
        "10",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        str(v["trimmed (10 s clip)"]),
    )
    ffmpeg(
        "-i",
        str(other),
        "-ss",
        "4",
        "-i",
        str(source),
        "-filter_complex",
        "[0:v]trim=0:6,setpts=PTS-STARTPTS[a];[1:v]trim=0:8,setpts=PTS-STARTPTS[b];"
        "[0:v]trim=10:16,setpts=PTS-STARTPTS[c];[a][b][c]concat=n=3:v=1[out]",
        "-map",
        "[out]",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        str(v["contained (8 s amid other footage)"]),
    )
    return v


def frame_count(path: Path) -> int:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def bench_video(folder: Path, n: int, seconds: int) -> None:
    videos = make_videos(folder, n, seconds)
    frames = sum(frame_count(p) for p in videos.values())
    duration = seconds * len(videos)
    t = time.perf_counter()
    for p in videos.values():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-nostdin", "-i", str(p), "-an", "-f", "null", "-"], check=True
        )
    decode = time.perf_counter() - t
    t = time.perf_counter()
    hashes = {k: hash_video(p) for k, p in videos.items()}
    hashing = time.perf_counter() - t
    print(f"\n## vPDQ hashing ({len(videos)} videos, {duration} s, {frames} frames, 640x360 H.264)\n")
    print("| step | seconds | frames/s | x real time |\n|---|---:|---:|---:|")
    print(
        f"| FFmpeg decode alone (reference) | {decode:.2f} | {frames / decode:,.0f} | {duration / decode:.0f} |"
    )
    print(
        f"| vPDQ hash (decode + PDQ of 1 frame/s) | {hashing:.2f} | {frames / hashing:,.0f} | "
        f"{duration / hashing:.0f} |"
    )
    bank = [(k, hashes[k]) for k in videos if k.startswith("v")]
    index = VideoIndex(bank)
    print("\n## vPDQ match recall and false matches\n")
    print(
        "| query | queries | matched its bank video | query % (mean) | compared % (mean) | other bank videos matched |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    rows: dict[str, list[tuple[bool, float, float, int]]] = {}
    for i, (key, _) in enumerate(bank):
        for kind, path in variants(folder, key, videos[key], videos[f"u{i % len(UNRELATED)}"]).items():
            found = [m for m in index.search(hash_video(path)) if m.is_match()]
            own = [m for m in found if m.key == key]
            rows.setdefault(kind, []).append(
                (
                    bool(own),
                    own[0].query_match_percent if own else 0.0,
                    own[0].compared_match_percent if own else 0.0,
                    len(found) - len(own),
                )
            )
    for kind, found in rows.items():
        print(
            f"| {kind} | {len(found)} | {sum(f[0] for f in found)} | {np.mean([f[1] for f in found]):.0f} | "
            f"{np.mean([f[2] for f in found]):.0f} | {sum(f[3] for f in found)} |"
        )
    false = sum(1 for k in videos if k.startswith("u") for m in index.search(hashes[k]) if m.is_match())
    print(f"| unrelated | {len(UNRELATED)} | - | - | - | {false} |")


def poster(path: Path, text: str, size: int = 44) -> None:
    image = Image.new("RGB", (1000, 400), (245, 240, 225))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, size) if Path(FONT).exists() else ImageFont.load_default(size=size)
    for row, line in enumerate(text.splitlines()):
        if any("\u0600" <= c <= "\u06ff" for c in line):  # right to left: anchored at the right margin
            draw.text((950, 80 + row * 110), line, font=font, fill=(20, 20, 60), anchor="ra")
        else:
            draw.text((50, 80 + row * 110), line, font=font, fill=(20, 20, 60))
    image.save(path)


def bench_ocr(folder: Path, repeat: int) -> None:
    if not ocr.available():
        print("\nOCR: Tesseract not installed, skipped")
        return
    print(
        f"\n## OCR (Tesseract {subprocess.run(['tesseract', '--version'], capture_output=True, text=True).stdout.split()[1]}"
        f", 1000x400 posters, {repeat} per script)\n"
    )
    print("| script | languages | images/s | PDQ images/s (reference) | CER |\n|---|---|---:|---:|---:|")
    for name, (lang, text) in SCRIPTS.items():
        paths = []
        for i in range(repeat):
            paths.append(folder / f"poster_{lang}_{i}.png")
            poster(paths[-1], text, 40 + 2 * i)
        t = time.perf_counter()
        read = [ocr.ocr_image(p, f"{lang}").text for p in paths]
        spent = time.perf_counter() - t
        t = time.perf_counter()
        for p in paths:
            pdq_of_file(p)
        pdq = time.perf_counter() - t
        reference = " ".join(text.split())
        cer = np.mean([Levenshtein.distance(" ".join(r.split()), reference) / len(reference) for r in read])
        print(f"| {name} | {lang} | {len(paths) / spent:.1f} | {len(paths) / pdq:.0f} | {cer:.3f} |")
    paths = sorted(folder.glob("poster_eng_*.png"))
    for langs in ("eng+ara", "eng+ara+fas+rus+tur"):
        t = time.perf_counter()
        for p in paths:
            ocr.ocr_image(p, langs)
        print(f"| latin (eng) | {langs} | {len(paths) / (time.perf_counter() - t):.1f} | - | - |")


def bench_onnx_ocr(folder: Path, repeat: int) -> None:
    """The same posters through an ONNX OCR whose models ship in its wheel (rapidocr-onnxruntime:
    PP-OCR detection and recognition, Chinese and Latin models), where it is installed: not a
    dependency of OpenIRU, installed by hand for this comparison."""
    try:
        from importlib.metadata import version

        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        print("\nONNX OCR: rapidocr-onnxruntime not installed (pip install rapidocr-onnxruntime), skipped")
        return
    engine = RapidOCR()
    print(f"\n## ONNX OCR (rapidocr-onnxruntime {version('rapidocr-onnxruntime')}, same posters)\n")
    print(
        "| script | images/s | CER | CER, spaces ignored | Tesseract CER (same images) |\n|---|---:|---:|---:|---:|"
    )
    for name, (lang, text) in SCRIPTS.items():
        paths = []
        for i in range(repeat):
            paths.append(folder / f"poster_{lang}_{i}.png")
            if not paths[-1].exists():
                poster(paths[-1], text, 40 + 2 * i)
        engine(str(paths[0]))  # the first call loads the models: not counted
        t = time.perf_counter()
        found = [engine(str(p))[0] or [] for p in paths]
        spent = time.perf_counter() - t
        # lines top to bottom, as the poster reads
        read = [" ".join(r[1] for r in sorted(lines, key=lambda r: r[0][0][1])) for lines in found]
        reference = " ".join(text.split())
        cer = np.mean([Levenshtein.distance(" ".join(r.split()), reference) / len(reference) for r in read])
        bare = reference.replace(" ", "")
        cer_bare = np.mean([Levenshtein.distance("".join(r.split()), bare) / len(bare) for r in read])
        tess = "-"
        if ocr.available():
            texts = [ocr.ocr_image(p, lang).text for p in paths]
            tess = f"{np.mean([Levenshtein.distance(' '.join(r.split()), reference) / len(reference) for r in texts]):.3f}"
        print(f"| {name} | {len(paths) / spent:.1f} | {cer:.3f} | {cer_bare:.3f} | {tess} |")


def bench_pdf(folder: Path, pages: int) -> None:
    from fpdf import FPDF

    doc = FPDF()
    doc.set_font("helvetica", size=10)
    line = "A neutral paragraph about the opening hours of a fictional library and its reading room. "
    for i in range(pages):
        doc.add_page()
        doc.multi_cell(0, 5, f"Page {i + 1}. " + line * 25)
    path = folder / "magazine.pdf"
    doc.output(str(path))
    t = time.perf_counter()
    reader = PdfReader(str(path))
    for page in reader.pages:
        page.get_contents()
    parse = time.perf_counter() - t
    t = time.perf_counter()
    text = pdf_pages(path)
    extract = time.perf_counter() - t
    assert len(text) == pages and "fictional library" in text[-1]
    print(f"\n## PDF text ({pages} pages, {path.stat().st_size // 1024} KiB, fpdf2)\n")
    print("| step | seconds | pages/s |\n|---|---:|---:|")
    print(f"| pypdf parse pages alone (reference) | {parse:.2f} | {pages / parse:,.0f} |")
    print(f"| text of every page (documents.pdf_pages) | {extract:.2f} | {pages / extract:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--posters", type=int, default=4)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--parts", default="video,ocr,onnx,pdf", help="which parts to run, comma-separated")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if "video" in parts and shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is not installed (make video)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "video" in parts:
            bench_video(folder, min(args.videos, len(SOURCES)), args.seconds)
        if "ocr" in parts:
            bench_ocr(folder, args.posters)
        if "onnx" in parts:
            bench_onnx_ocr(folder, args.posters)
        if "pdf" in parts:
            bench_pdf(folder, args.pages)


if __name__ == "__main__":
    main()
