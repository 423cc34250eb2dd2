#!/usr/bin/env python3
"""Writes the generated fixtures next to this file. Run once; the outputs are committed."""
import gzip, io, os, zipfile

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "..", "corpus", "parsedmarc-samples", "aggregate")

def write(name, data):
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)

# 64 MiB of spaces after an XML start: about 64 KiB gzip, a ratio far beyond 1000:1.
raw = b"<?xml version='1.0'?><feedback>" + b" " * (64 << 20)
write("gzip-bomb.xml.gz", gzip.compress(raw, 9))

# A zip archive with 101 tiny entries (the limit is 100).
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(101):
        z.writestr(f"entry{i:03}.xml", "<feedback/>")
write("too-many-entries.zip", buf.getvalue())

# A zip archive with two good reports and one that is not a report.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(os.path.join(corpus, "addisonfoods.com!example.com!1536105600!1536191999.xml"), "first.xml")
    z.write(os.path.join(corpus, "usssa.com!example.com!1538784000!1538870399.xml"), "second.xml")
    z.writestr("notes.txt", "not a report")
write("two-reports-and-a-note.zip", buf.getvalue())

# A zip whose only entry is another zip (archives in archives are refused).
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(os.path.join(corpus, "empty_reason.xml"), "report.xml")
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("inner.zip", inner.getvalue())
write("zip-in-zip.zip", buf.getvalue())

# A zip archive whose one entry is the same 64 MiB of spaces after an XML start.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr("report.xml", raw)
write("zip-bomb.zip", buf.getvalue())
