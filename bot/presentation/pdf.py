"""A document as a PDF, in memory: the words come from a template (templates/tips/formal_report.txt.j2),
written in a small line markup that this module only lays out. Nothing is written to disk.

  # Title                 centred, bold
  ## Heading              a section, bold
  - Label :: value        a field; an empty value is a dotted line to fill in by hand
  * text                  a bulleted line
  > text                  a small grey note
  ---                     a rule across the page
  || left || right        two signature blocks side by side, with room to sign
  | text                  a paragraph taken as it is (what a reporter typed: it cannot be read as markup)
  (a blank line)          a little space
  anything else           a paragraph

The font is DejaVu Sans, which ships with matplotlib, so every character a reporter can type prints.
"""

from __future__ import annotations

from pathlib import Path

BLANK = "." * 60
LABEL_WIDTH = 60  # millimetres


def pdf_from_markup(markup: str, title: str) -> bytes:
    # imported here, as the charts import matplotlib: a third of a second at every start, for a rare request
    from fpdf import FPDF
    from matplotlib import get_data_path

    fonts = Path(get_data_path()) / "fonts" / "ttf"
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Netra")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for line in markup.splitlines():
        line = line.rstrip()
        pdf.set_text_color(0)
        if not line:
            pdf.ln(2)
        elif line.startswith("## "):
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(width, 6, line[3:], new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("# "):
            pdf.set_font("DejaVu", "B", 14)
            pdf.multi_cell(width, 8, line[2:], align="C", new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("- "):
            label, _, value = line[2:].partition("::")
            pdf.set_font("DejaVu", "", 10)
            pdf.cell(LABEL_WIDTH, 6, label.strip())
            pdf.multi_cell(width - LABEL_WIDTH, 6, ": " + (value.strip() or BLANK), new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("* "):
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(width, 6, "• " + line[2:], new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("> "):
            pdf.set_font("DejaVu", "I", 8)
            pdf.set_text_color(90)
            pdf.multi_cell(width, 4.5, line[2:], new_x="LMARGIN", new_y="NEXT")
        elif line == "---":
            pdf.ln(1)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
            pdf.ln(2)
        elif line.startswith("| ") or line == "|":
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(width, 5.5, line[2:] or " ", new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("||"):
            blocks = [b.strip() for b in line.split("||")[1:]]
            pdf.set_font("DejaVu", "", 10)
            column = width / max(1, len(blocks))
            for block in blocks:
                pdf.cell(column, 6, block, align="C")
            pdf.ln(24)
            for _ in blocks:
                pdf.cell(column, 6, "(" + "." * 30 + ")", align="C")
            pdf.ln(8)
        else:
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(width, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
