"""The same Letter of Authorization content, rendered with Python's reportlab: the yardstick
`portbot bench` compares its own LOA renderer with. Usage: reportlab_loa.py COUNT JSON.
Prints "renders_per_second bytes_per_document"."""

import io
import json
import sys
import time

from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

W, H = letter
M = 54  # margins, points


def register(font_dir):
    pdfmetrics.registerFont(TTFont("DejaVu", f"{font_dir}/DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", f"{font_dir}/DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFont(TTFont("DejaVu-Italic", f"{font_dir}/DejaVuSerif-Italic.ttf"))


def box(c, x, top, w, h, label, value):
    c.setLineWidth(0.5)
    c.rect(x, top - h, w, h)
    c.setFont("DejaVu", 6.5)
    c.drawString(x + 4, top - 9, label)
    c.setFont("DejaVu", 9.5)
    c.drawString(x + 4, top - 21, value or "")


def render(d):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    c.setTitle(f"Letter of Authorization {d['request_id']}")
    c.setFont("DejaVu-Bold", 9)
    c.drawString(M, H - M, d["provider"][0])
    c.setFont("DejaVu", 8)
    c.drawRightString(W - M, H - M, f"Request {d['request_id']} · LOA version 1")
    c.setFont("DejaVu-Bold", 18)
    c.drawString(M, H - M - 26, "Letter of Authorization")
    c.setFont("DejaVu", 10)
    c.drawString(M, H - M - 40, "Port of local telephone numbers")
    y = H - M - 64
    c.setFont("DejaVu-Bold", 10)
    c.drawString(M, y, "Customer")
    y -= 6
    cw = W - 2 * M
    box(c, M, y, cw * 0.7, 28, "Business name, as on the account", d["customer_name"])
    box(c, M + cw * 0.7, y, cw * 0.3, 28, "Customer type", d["customer_type"].title())
    y -= 28
    box(c, M, y, cw, 28, "Service address", d["address"])
    y -= 28
    box(c, M, y, cw * 0.3, 28, "Authorized person", d["authorized_name"])
    box(c, M + cw * 0.3, y, cw * 0.25, 28, "Title", d["authorized_title"] or "")
    box(c, M + cw * 0.55, y, cw * 0.45, 28, "Email for updates on this request", d["email"])
    y -= 44
    c.setFont("DejaVu-Bold", 10)
    c.drawString(M, y, "Current service")
    y -= 6
    box(c, M, y, cw * 0.5, 28, "Current carrier (losing carrier)", d["carrier"])
    box(c, M + cw * 0.5, y, cw * 0.25, 28, "Account number", d["account_number"] or "")
    box(c, M + cw * 0.75, y, cw * 0.25, 28, "Billing telephone number (BTN)", d["btn"] or "")
    y -= 28
    box(c, M, y, cw * 0.2, 28, "Number type", d["number_type"].title())
    box(c, M + cw * 0.2, y, cw * 0.4, 28, "Requested port date", f"On or after {d['port_date']}")
    box(c, M + cw * 0.6, y, cw * 0.4, 28, "Partial port", "Yes" if d["partial_port"] else "No, all numbers are listed")
    y -= 44
    c.setFont("DejaVu-Bold", 10)
    c.drawString(M, y, "New provider, acting as the customer's agent")
    y -= 6
    box(c, M, y, cw * 0.3, 28, "Company", d["provider"][0])
    box(c, M + cw * 0.3, y, cw * 0.4, 28, "Address", d["provider"][1])
    box(c, M + cw * 0.7, y, cw * 0.3, 28, "Porting contact", d["provider"][2])
    y -= 44
    c.setFont("DejaVu-Bold", 10)
    c.drawString(M, y, f"Telephone numbers to port ({len(d['numbers'])})")
    y -= 6
    rows = (len(d["numbers"]) + 1) // 2
    c.rect(M, y - rows * 12 - 8, cw, rows * 12 + 8)
    c.setFont("DejaVu", 9.5)
    for i, n in enumerate(d["numbers"]):
        col, row = divmod(i, rows)
        c.drawString(M + 8 + col * cw / 2, y - 14 - row * 12, n)
    y -= rows * 12 + 26
    c.setFont("DejaVu-Bold", 10)
    c.drawString(M, y, "Authorization")
    style = ParagraphStyle("body", fontName="DejaVu", fontSize=9, leading=12.5)
    text = (
        f"I, the authorized person named below, confirm that I may act for {d['customer_name']} on its "
        f"account with {d['carrier']}, and that the information in this letter is correct. I authorize "
        f"{d['provider'][0]} to act as my agent to port the telephone numbers listed above from "
        f"{d['carrier']} to {d['provider'][0]}, and to obtain from {d['carrier']} the account information "
        f"needed to do so. I understand that these numbers must stay active with {d['carrier']} until the "
        f"port is complete, and that {d['carrier']} will then stop providing service on them."
    )
    p = Paragraph(text, style)
    _, ph = p.wrap(cw, 200)
    p.drawOn(c, M, y - 6 - ph)
    y -= ph + 40
    c.setFont("DejaVu-Italic", 20)
    c.drawString(M + 4, y, d["signer_name"])
    c.line(M, y - 4, M + cw * 0.55, y - 4)
    c.setFont("DejaVu", 9.5)
    c.drawString(M + cw * 0.62, y, d["signed_at"][:10])
    c.line(M + cw * 0.6, y - 4, M + cw, y - 4)
    c.setFont("DejaVu", 6.5)
    c.drawString(M, y - 12, "Signature of the authorized person")
    c.drawString(M + cw * 0.6, y - 12, "Date signed")
    c.setFont("DejaVu", 6.5)
    c.drawString(M, 44, f"E-signature by chat user {d['signer_id']} at {d['signed_at']}")
    c.drawString(M, 36, f"Request {d['request_id']} · LOA version 1")
    c.drawString(M, 28, f"SHA-256 of the signed content: {d['sha256']}")
    c.drawRightString(W - M, 44, "Page 1 of 1")
    c.showPage()
    c.save()
    return buf.getvalue()


def main():
    count = int(sys.argv[1])
    data = json.loads(sys.argv[2])
    register(data["font_dir"])
    size = len(render(data))
    for _ in range(5):
        render(data)
    started = time.perf_counter()
    for _ in range(count):
        render(data)
    elapsed = time.perf_counter() - started
    print(f"{count / elapsed:.1f} {size}")


if __name__ == "__main__":
    main()
