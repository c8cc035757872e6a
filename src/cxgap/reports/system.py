"""What PDF reports need from the operating system, checked without loading it.

WeasyPrint draws PDF text with Pango and HarfBuzz (system libraries, not Python packages)
and the report's fonts come from Debian's Noto packages through fontconfig. Importing
WeasyPrint to find out is slow and fails loudly, so :func:`missing_pdf_parts` looks for
the libraries and fonts directly; ``cxgap start`` says what is missing and how to install
it. HTML reports need none of this.
"""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess

FONT_FAMILIES = {"latin": "Noto Sans", "arabic": "Noto Sans Arabic", "cjk": "Noto Sans CJK SC"}
"""Font family per script class of the reports' text (Debian's fonts-noto-core and
fonts-noto-cjk)."""

LIBRARIES = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz-subset": "libharfbuzz-subset0",
}
"""Shared libraries WeasyPrint loads, with the Debian package of each."""

PDF_PACKAGES = (
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "fontconfig",
    "fonts-noto-core",
    "fonts-noto-cjk",
    "fonts-dejavu-core",
)
"""The Debian packages PDF reports need (as in ``.ci/apt/reports.txt``)."""

INSTALL_COMMAND = "sudo apt-get install " + " ".join(PDF_PACKAGES)
"""The command that installs them on Debian or Ubuntu."""


def _installed_families() -> set[str] | None:
    """Font family names fontconfig knows; ``None`` without fontconfig."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(
            [fc_list, ":", "family"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {name.strip() for line in listed.splitlines() for name in line.split(",")}


def missing_pdf_parts() -> list[str]:
    """What PDF reports lack on this machine, in words (empty: nothing is missing)."""
    missing = [
        f"the {package} library"
        for name, package in LIBRARIES.items()
        if ctypes.util.find_library(name) is None
    ]
    families = _installed_families()
    if families is None:
        missing.append("fontconfig (fc-list)")
    else:
        missing += [f"the font {f}" for f in FONT_FAMILIES.values() if f not in families]
    return missing
