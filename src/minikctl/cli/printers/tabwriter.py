"""Go's text/tabwriter, which lays out every kubectl table and describe page.

Text is cut into cells at tabs. A column is aligned only within a *block*: a run of
consecutive lines that all have a tab-terminated cell in that column. A line with
fewer cells ends the block, so `describe` sections realign after every line that has
no tab. The text after a line's last tab is not part of any column and is never padded.

kubectl uses two settings: tables pad columns by 3 with a minimum width of 6
(`kubectl get`), describe pads by 2 with no minimum.
"""
from __future__ import annotations

TABLE_MINWIDTH = 6
TABLE_PADDING = 3
DESCRIBE_MINWIDTH = 0
DESCRIBE_PADDING = 2

# kubectl escapes these before writing cells so a value cannot drive the terminal.
_ESCAPES = (("\x1b", "^["), ("\r", "\\r"))


def escape_terminal(text: str) -> str:
    if "\x1b" in text or "\r" in text:
        for old, new in _ESCAPES:
            text = text.replace(old, new)
    return text


def format_text(text: str, *, minwidth: int = DESCRIBE_MINWIDTH, padding: int = DESCRIBE_PADDING) -> str:
    """Lay out tab-separated text exactly as a Go tabwriter flushed once would."""
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []
    _format(lines, [], 0, len(lines), out, minwidth, padding)
    return "".join(out)


def _format(lines: list[list[str]], widths: list[int], line0: int, line1: int,
            out: list[str], minwidth: int, padding: int) -> None:
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        # A block of lines with a cell in this column starts here.
        _write_lines(lines, widths, line0, this, out)
        line0 = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + padding)
            this += 1
        widths.append(width)
        _format(lines, widths, line0, this, out, minwidth, padding)
        widths.pop()
        line0 = this
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    last = len(lines) - 1
    for i in range(line0, line1):
        cells = lines[i]
        for j, cell in enumerate(cells):
            out.append(cell.ljust(widths[j]) if j < len(widths) else cell)
        if i != last:  # the text after the final newline has no newline of its own
            out.append("\n")


def format_rows(rows: list[list[str]], *, minwidth: int = TABLE_MINWIDTH, padding: int = TABLE_PADDING) -> str:
    """A table whose rows all have the same number of cells, one line each.

    This is the fast path for `kubectl get` (thousands of rows); a cell holding a tab
    or a newline changes the layout, so such tables go through the general algorithm.
    """
    if not rows:
        return ""
    for row in rows:
        for cell in row:
            if "\t" in cell or "\n" in cell:
                return format_text("\n".join("\t".join(r) for r in rows) + "\n",
                                   minwidth=minwidth, padding=padding)
    ncols = len(rows[0])
    widths = [minwidth] * (ncols - 1)
    for row in rows:
        for i in range(ncols - 1):
            n = len(row[i]) + padding
            if n > widths[i]:
                widths[i] = n
    lines = []
    pairs = list(enumerate(widths))
    for row in rows:
        lines.append("".join([row[i].ljust(w) for i, w in pairs]) + row[-1])
    lines.append("")
    return "\n".join(lines)
