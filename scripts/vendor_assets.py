"""Copy the front-end packages installed by npm into courtyard/static/vendor (never committed)."""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
DEST = ROOT / "courtyard" / "static" / "vendor"

FILES = {
    "@tabler/core/dist/css/tabler.min.css": "tabler/tabler.min.css",
    "@tabler/core/dist/css/tabler.min.css.map": "tabler/tabler.min.css.map",
    "@tabler/core/dist/js/tabler.min.js": "tabler/tabler.min.js",
    "@tabler/core/dist/js/tabler.min.js.map": "tabler/tabler.min.js.map",
    "@tabler/icons-webfont/dist/tabler-icons.min.css": "tabler-icons/tabler-icons.min.css",
    "@tabler/icons-webfont/dist/fonts/tabler-icons.woff2": "tabler-icons/fonts/tabler-icons.woff2",
    "@tabler/icons-webfont/dist/fonts/tabler-icons.woff": "tabler-icons/fonts/tabler-icons.woff",
    "@tabler/icons-webfont/dist/fonts/tabler-icons.ttf": "tabler-icons/fonts/tabler-icons.ttf",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
    "gridstack/dist/gridstack-all.js": "gridstack/gridstack-all.js",
    "gridstack/dist/gridstack.min.css": "gridstack/gridstack.min.css",
    # The notice editor (BSD-3-Clause), loaded only on the notice form.
    "quill/dist/quill.js": "quill/quill.js",
    "quill/dist/quill.js.LICENSE.txt": "quill/quill.js.LICENSE.txt",
    "quill/dist/quill.snow.css": "quill/quill.snow.css",
}


def main():
    missing = [src for src in FILES if not (NODE / src).exists()]
    if missing:
        sys.exit(f"npm packages missing ({', '.join(missing)}): run `npm install` first")
    for src, dest in FILES.items():
        target = DEST / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE / src, target)
    # Source maps that the copied files point at but that we do not ship would break the
    # fingerprinting storage; drop the references of files whose map is absent.
    for path in DEST.rglob("*"):
        if path.suffix in {".js", ".css"} and not Path(f"{path}.map").exists():
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            cleaned = "\n".join(
                line for line in text.splitlines() if "sourceMappingURL=" not in line
            )
            if cleaned != text:
                path.write_text(cleaned, encoding="utf-8", errors="surrogateescape")
    print(f"vendored {len(FILES)} files into {DEST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
