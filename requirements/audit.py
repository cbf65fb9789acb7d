"""Audit the locked packages against PyPI's vulnerability data (``make audit``, run by
``make lint``), and say loudly what could not be audited.

pip-audit asks PyPI, package by package, about each locked version. It fails (and so does
``make lint``) when a known vulnerability is found or when PyPI cannot be reached at all.
A version PyPI has no record of (a private mirror's build, or a registry copy that keeps only
the latest release, as on the development machines of this project) cannot be audited: those
are listed in a banner, and with ``AUDIT_STRICT=1`` (what a release pipeline with the internet
should set) they fail the audit too.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).with_name("dev.lock")


def main() -> int:
    audited = subprocess.run(  # noqa: S603 (the venv's pip-audit, fixed arguments)
        [
            str(Path(sys.executable).with_name("pip-audit")),
            "--requirement", str(LOCK), "--require-hashes", "--disable-pip", "--no-deps",
            "--vulnerability-service", "pypi", "--progress-spinner", "off", "--format", "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    try:
        report = json.loads(audited.stdout)
    except ValueError:
        print(audited.stdout + audited.stderr, file=sys.stderr)
        print("AUDIT FAILED: the vulnerability service could not be asked.", file=sys.stderr)
        return 1
    packages = report.get("dependencies", [])
    vulnerable = [p for p in packages if p.get("vulns")]
    unaudited = [p for p in packages if p.get("skip_reason")]
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {package['name']} {package['version']}: {vuln['id']} ({fixed})")
    audited_count = len(packages) - len(unaudited)
    print(
        f"Audited {audited_count} of {len(packages)} locked packages: {len(vulnerable)} vulnerable."
    )
    if unaudited:
        names = ", ".join(p["name"] for p in unaudited)
        print(
            "\n"
            + "!" * 78
            + f"\n NOT AUDITED: PyPI has no vulnerability record for {len(unaudited)} "
            f"locked versions here:\n {names}\n Set AUDIT_STRICT=1 to fail on this "
            "(release pipelines with the internet).\n" + "!" * 78,
            file=sys.stderr,
        )
    strict = os.environ.get("AUDIT_STRICT") == "1"
    return 1 if vulnerable or (strict and unaudited) else 0


if __name__ == "__main__":
    sys.exit(main())
